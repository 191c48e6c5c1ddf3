"""The two alarm baselines a ROS integrator would deploy instead of LMD, learnt on clean driving.

* Topic health, per topic as diagnostic_updater's FrequencyStatus and TimeStampStatus report it:
  WARN while a source's rate over the last ``WINDOW_S`` leaves its clean [min, max] widened by
  the tolerance, ERROR while its last message is older than its clean maximum age widened
  likewise. (The drives have no transport delay, so a header-stamp check would see nothing:
  the age of the last message is the part that matters.)
* Input statistics (`lmd_ros.monitor.input_statistics`): WARN while a source's latest message
  has a feature outside its band ``[q_low - k * spread, q_high + k * spread]``, with ``q_low``,
  ``q_high`` the ``QUANTILES`` and the spread the interquartile range of clean driving, per
  source and feature.

Both are evaluated on the core's tick grid. A source's level counts for every modality it feeds,
a modality takes the worst of its sources, and as in the product a level must hold for
``hold_s`` to raise an alarm and OK must hold for ``clear_s`` to clear it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lmd_ros.monitor.alarms import AlarmSpan, Level
from lmd_ros.monitor.core import TICK_S

if TYPE_CHECKING:
    from lmd_ros.benchmarks.drive_trace import DriveTrace, MessageTrace

WINDOW_S = 1.0
"""Rate window: ten messages of a 10 Hz sensor, short enough to see a silence within the hold."""
QUANTILES = (0.01, 0.99)


@dataclass(frozen=True)
class Excess:
    """Per tick and sensor, how far outside its clean bounds it is, in a method's own units:
    above a threshold, ``warn`` raises WARN and ``error`` raises ERROR; ``worst`` names the
    source that is furthest out."""

    ticks: np.ndarray
    warn: dict[str, np.ndarray]
    error: dict[str, np.ndarray]
    worst: dict[str, list[str]]
    what: str


def held_spans(times: Sequence[float], levels: Sequence[int], sensor: str, hold_s: float,
               clear_s: float, reason: Callable[[int], str]) -> list[AlarmSpan]:
    """Alarm spans of a raw level sampled at ``times``: raised once a level above OK has held
    for ``hold_s`` (the span's level is the worst raw level in it), cleared once OK has held
    for ``clear_s``; ``reason(i)`` says why, for the sample that raises."""
    spans: list[AlarmSpan] = []
    level, onset, why = Level.OK, 0.0, ""
    bad_since: float | None = None
    ok_since: float | None = None
    for i, (t, raw) in enumerate(zip(times, levels, strict=True)):
        if level == Level.OK:
            bad_since = None if raw == Level.OK else (t if bad_since is None else bad_since)
            if bad_since is not None and t - bad_since >= hold_s:
                level, onset, why, ok_since = Level(raw), t, reason(i), None
        elif raw == Level.OK:
            ok_since = t if ok_since is None else ok_since
            if t - ok_since >= clear_s:
                spans.append(AlarmSpan(onset, t, sensor, level, why))
                level, bad_since = Level.OK, None
        else:
            ok_since, level = None, max(level, Level(raw))
    if level != Level.OK:
        spans.append(AlarmSpan(onset, None, sensor, level, why))
    return spans


def alarms(excess: Excess, threshold: float, hold_s: float, clear_s: float) -> list[AlarmSpan]:
    """Every sensor's alarm spans at ``threshold``, in order of onset."""
    spans = []
    for sensor, warn in excess.warn.items():
        error = excess.error[sensor]
        levels = np.where(error > threshold, Level.ERROR,
                          np.where(warn > threshold, Level.WARN, Level.OK))
        worst = excess.worst[sensor]
        spans += held_spans(excess.ticks.tolist(), levels.tolist(), sensor, hold_s, clear_s,
                            lambda i, worst=worst: f"{worst[i]}: {excess.what}")
    return sorted(spans, key=lambda s: s.onset)


def tick_times(trace: DriveTrace) -> np.ndarray:
    """The core's ticks from ``WINDOW_S`` after the first message to the last one."""
    arrivals = [m.arrival for m in trace.messages]
    first = min(arrivals)
    count = int(np.floor((max(arrivals) - first) / TICK_S + 1e-9)) + 1
    return first + TICK_S * np.arange(round(WINDOW_S / TICK_S), count)


def by_source(messages: Iterable[MessageTrace]) -> dict[str, list[MessageTrace]]:
    grouped: dict[str, list[MessageTrace]] = defaultdict(list)
    for message in messages:
        grouped[message.source].append(message)
    return grouped


def combine(trace: DriveTrace, ticks: np.ndarray, warn: dict[str, np.ndarray],
            error: dict[str, np.ndarray], what: str) -> Excess:
    """Per-source excess → per-modality: the worst source feeding each modality."""
    worst_warn, worst_error, worst = {}, {}, {}
    for modality in trace.modalities:
        sources = [s for s, fed in trace.feeds.items() if modality in fed]
        w = np.stack([warn[s] for s in sources])
        e = np.stack([error[s] for s in sources])
        worst_warn[modality], worst_error[modality] = w.max(axis=0), e.max(axis=0)
        furthest = np.maximum(w, e).argmax(axis=0)
        worst[modality] = [sources[k] for k in furthest]
    return Excess(ticks, worst_warn, worst_error, worst, what)


def rates_and_ages(arrivals: np.ndarray, ticks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At each tick: messages per second over the last ``WINDOW_S``, age of the last message
    (inf before the first)."""
    last = np.searchsorted(arrivals, ticks, side="right")
    first = np.searchsorted(arrivals, ticks - WINDOW_S, side="right")
    ages = np.full(len(ticks), np.inf)
    seen = last > 0
    ages[seen] = ticks[seen] - arrivals[last[seen] - 1]
    return (last - first) / WINDOW_S, ages


@dataclass(frozen=True)
class TopicHealth:
    """Per source: its [min, max] rate and its maximum message age in clean driving."""

    rates: dict[str, tuple[float, float]]
    max_age: dict[str, float]

    @classmethod
    def fit(cls, traces: Sequence[DriveTrace], warmup: float) -> TopicHealth:
        rates: dict[str, list[np.ndarray]] = defaultdict(list)
        ages: dict[str, list[np.ndarray]] = defaultdict(list)
        for trace in traces:
            ticks = tick_times(trace)
            ticks = ticks[ticks >= warmup]
            for source, arrivals in _arrivals(trace).items():
                rate, age = rates_and_ages(arrivals, ticks)
                rates[source].append(rate)
                ages[source].append(age)
        return cls({s: (float(np.concatenate(r).min()), float(np.concatenate(r).max()))
                    for s, r in rates.items()},
                   {s: float(np.concatenate(a).max()) for s, a in ages.items()})

    def excess(self, trace: DriveTrace) -> Excess:
        """Relative excess: a rate's below min or above max, an age's above the max age, as a
        fraction of the bound (the tolerance it takes to accept it)."""
        ticks = tick_times(trace)
        arrivals = _arrivals(trace)
        warn, error = {}, {}
        for source in trace.feeds:
            rate, age = rates_and_ages(arrivals.get(source, np.empty(0)), ticks)
            low, high = self.rates[source]
            warn[source] = np.maximum(1 - rate / low, rate / high - 1)
            error[source] = age / self.max_age[source] - 1
        return combine(trace, ticks, warn, error, "rate or age of its messages off")


def _arrivals(trace: DriveTrace) -> dict[str, np.ndarray]:
    return {source: np.array([m.arrival for m in messages])
            for source, messages in by_source(trace.messages).items()}


@dataclass(frozen=True)
class InputBands:
    """Per source and feature: ``(q_low, q_high, spread)`` of clean driving."""

    bands: dict[str, dict[str, tuple[float, float, float]]]

    @classmethod
    def fit(cls, traces: Sequence[DriveTrace], warmup: float) -> InputBands:
        values: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for trace in traces:
            for message in trace.messages:
                if message.arrival >= warmup:
                    for name, value in message.features.items():
                        values[message.source][name].append(value)
        return cls({source: {name: _band(v) for name, v in features.items()}
                    for source, features in values.items()})

    def message_excess(self, message: MessageTrace) -> float:
        """How many spreads the message's furthest feature lies outside its band (<= 0: all
        inside)."""
        bands = self.bands.get(message.source, {})
        excess = -np.inf
        for name, value in message.features.items():
            if name in bands:
                low, high, spread = bands[name]
                excess = max(excess, (low - value) / spread, (value - high) / spread)
        return excess

    def excess(self, trace: DriveTrace) -> Excess:
        """At each tick, each source's latest message's excess (-inf before its first)."""
        ticks = tick_times(trace)
        warn, error = {}, {}
        grouped = by_source(trace.messages)
        for source in trace.feeds:
            messages = grouped.get(source, [])
            arrivals = np.array([m.arrival for m in messages])
            scores = np.array([-np.inf] + [self.message_excess(m) for m in messages])
            warn[source] = scores[np.searchsorted(arrivals, ticks, side="right")]
            error[source] = np.full(len(ticks), -np.inf)
        return combine(trace, ticks, warn, error, "input statistics outside their band")


def _band(values: Sequence[float]) -> tuple[float, float, float]:
    low, q25, median, q75, high = np.quantile(values, [QUANTILES[0], 0.25, 0.5, 0.75,
                                                       QUANTILES[1]])
    return float(low), float(high), float(max(q75 - q25, 1e-6 * max(abs(median), 1.0)))
