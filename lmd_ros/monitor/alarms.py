"""Alarms when the detections stop relying on a sensor, or the sensor stops sending.

Per modality the monitor gets one share per frame (how much of the frame's detections that
sensor carries, e.g. a score-weighted mean of ``modality_shares``) and the age of its last
message. Levels follow diagnostic_msgs, and every time is a stamp passed in (no clock), so the
live node and the offline bag analysis agree:

* WARN when the EMA-smoothed share stays below ``(1 - warn_drop) * baseline`` for ``hold_s``;
  ERROR likewise below ``(1 - error_drop) * baseline``.
* A level clears one step at a time, once the smoothed share has stayed above that level's
  clear threshold for ``clear_s`` (ERROR → WARN → OK takes twice ``clear_s``). The clear
  threshold sits ``recovery`` of the way from the level's own threshold up to the next (the
  baseline, for WARN): a share jittering around a threshold therefore neither raises
  (interrupted hold) nor clears (never above the clear threshold) an alarm.
* ERROR as soon as no message arrived for more than ``silent_after_s``, or while the inputs
  report a fault (e.g. stamps no set can match: WARN when some of the modality's sensors are
  affected, ERROR when all are). It clears one step at a time, each step after ``clear_s`` of
  usable messages, measured up to the *last message's arrival* (not to now): the quiet first
  ``silent_after_s`` of the next silence is no evidence of flow, so a sensor toggling on and
  off stays in ERROR. STALE until a sensor's first message.
* A frame with no detections gives share None and leaves the share state (smoothing, warm-up,
  hold and clear timers) untouched: it is no evidence either way. A modality missing from a
  frame's shares counts as share 0. While a sensor is silent its share state is frozen too: a
  zero share is then the consequence of the silence, which already raised its own alarm.
* A baseline of None is learnt as the mean share over the first ``warmup_frames`` frames that
  carry a share; no share alarm is raised before.
* Stamps running backwards (a looping bag) restart the hold and clear timers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum


class Level(IntEnum):
    """Alarm levels, numbered as ``diagnostic_msgs/DiagnosticStatus``."""

    OK = 0
    WARN = 1
    ERROR = 2
    STALE = 3


@dataclass(frozen=True)
class AlarmConfig:
    """Thresholds and timing of the alarms; see the module docstring for their meaning."""

    baselines: Mapping[str, float | None] = field(default_factory=dict)
    """Expected share per modality; a missing entry or None is learnt during warm-up."""
    warmup_frames: int = 50
    warn_drop: float = 0.5
    error_drop: float = 0.8
    recovery: float = 0.5
    hold_s: float = 1.0
    clear_s: float = 2.0
    silent_after_s: float = 1.0
    ema_alpha: float = 0.3

    def __post_init__(self) -> None:
        checks = [
            (self.warmup_frames >= 1, f"warmup_frames must be >= 1, got {self.warmup_frames}"),
            (
                0 < self.warn_drop < self.error_drop < 1,
                f"need 0 < warn_drop < error_drop < 1, got {self.warn_drop}, {self.error_drop}",
            ),
            (0 < self.recovery <= 1, f"recovery must be in (0, 1], got {self.recovery}"),
            (self.hold_s >= 0, f"hold_s must be >= 0, got {self.hold_s}"),
            (self.clear_s >= 0, f"clear_s must be >= 0, got {self.clear_s}"),
            (self.silent_after_s > 0, f"silent_after_s must be > 0, got {self.silent_after_s}"),
            (0 < self.ema_alpha <= 1, f"ema_alpha must be in (0, 1], got {self.ema_alpha}"),
            *(
                (share is None or 0 <= share <= 1, f"baseline {name!r} must be in [0, 1]: {share}")
                for name, share in self.baselines.items()
            ),
        ]
        problems = [problem for ok, problem in checks if not ok]
        if problems:
            raise ValueError("invalid AlarmConfig: " + "; ".join(problems))


@dataclass(frozen=True)
class Thresholds:
    """Smoothed-share levels derived from a baseline: below ``warn``/``error`` raises, above
    ``warn_clear``/``error_clear`` (for ``clear_s``) clears."""

    warn: float
    error: float
    warn_clear: float
    error_clear: float

    @classmethod
    def from_baseline(cls, baseline: float, config: AlarmConfig) -> Thresholds:
        warn = (1 - config.warn_drop) * baseline
        error = (1 - config.error_drop) * baseline
        return cls(
            warn=warn,
            error=error,
            warn_clear=warn + config.recovery * (baseline - warn),
            error_clear=error + config.recovery * (warn - error),
        )

    def raise_below(self, level: Level) -> float:
        return self.warn if level == Level.WARN else self.error

    def clear_above(self, level: Level) -> float:
        return self.warn_clear if level == Level.WARN else self.error_clear


@dataclass(frozen=True)
class InputFault:
    """Messages arrive but cannot be used (e.g. stamps no set can match): ``level`` is WARN when
    only some of a modality's sensors are affected, ERROR when all are."""

    level: Level
    reason: str


@dataclass(frozen=True)
class AlarmEvent:
    """A change of one sensor's level; ``share`` is the smoothed share at that moment."""

    stamp: float
    sensor: str
    old: Level
    new: Level
    reason: str
    share: float | None
    baseline: float | None


@dataclass(frozen=True)
class AlarmSpan:
    """One stretch away from OK: ``level`` is the worst reached, ``reason`` why it was reached;
    ``clear`` is None while the span lasts."""

    onset: float
    clear: float | None
    sensor: str
    level: Level
    reason: str


@dataclass(frozen=True)
class SensorStatus:
    """Everything a diagnostics display needs about one sensor right now."""

    level: Level
    share: float | None
    baseline: float | None
    thresholds: Thresholds | None
    age: float | None
    reason: str


class AlarmMonitor:
    """Per-modality alarm state, driven by one ``update`` per synchronised frame."""

    def __init__(self, modalities: Sequence[str], config: AlarmConfig) -> None:
        unknown = set(config.baselines) - set(modalities)
        if unknown:
            raise ValueError(f"baselines for unknown modalities {sorted(unknown)}")
        self.config = config
        self._sensors = {
            name: _SensorAlarm(name, config.baselines.get(name), config) for name in modalities
        }
        self._spans: list[AlarmSpan] = []
        self._open_span: dict[str, int] = {}

    def update(
        self,
        stamp: float,
        shares: Mapping[str, float | None],
        ages: Mapping[str, float | None],
        faults: Mapping[str, InputFault] | None = None,
    ) -> list[AlarmEvent]:
        """Feed one frame: each modality's share (None: no detections; absent: 0), message
        age in seconds (None or absent: no message yet) and input fault (absent: none).
        Returns the level changes."""
        faults = faults or {}
        unknown = (set(shares) | set(ages) | set(faults)) - set(self._sensors)
        if unknown:
            raise ValueError(f"shares, ages or faults for unknown modalities {sorted(unknown)}")
        events = []
        for name, sensor in self._sensors.items():
            event = sensor.update(stamp, shares.get(name, 0.0), ages.get(name), faults.get(name))
            if event is not None:
                self._record(event)
                events.append(event)
        return events

    def reconfigure(self, config: AlarmConfig) -> None:
        """New thresholds and timing at run time; levels and timers carry on. A changed
        baseline replaces the configured or learnt one (None: learn it again)."""
        old, self.config = self.config, config
        for name, sensor in self._sensors.items():
            sensor.reconfigure(config, config.baselines.get(name) != old.baselines.get(name))

    def status(self) -> dict[str, SensorStatus]:
        """The current state of every modality, for the diagnostics display."""
        return {name: sensor.status() for name, sensor in self._sensors.items()}

    def timeline(self) -> list[AlarmSpan]:
        """Every alarm span so far, in order of onset."""
        return list(self._spans)

    def _record(self, event: AlarmEvent) -> None:
        """Open, worsen or close the sensor's span."""
        if event.old == Level.OK:
            self._open_span[event.sensor] = len(self._spans)
            self._spans.append(AlarmSpan(event.stamp, None, event.sensor, event.new, event.reason))
            return
        index = self._open_span[event.sensor]
        span = self._spans[index]
        if event.new == Level.OK:
            self._spans[index] = replace(span, clear=event.stamp)
            del self._open_span[event.sensor]
        elif event.new > span.level:
            self._spans[index] = replace(span, level=event.new, reason=event.reason)


class _Persistence:
    """How long a condition has held without interruption, on the caller's stamps."""

    def __init__(self) -> None:
        self._since: float | None = None

    def update(self, stamp: float, holds: bool) -> float | None:
        """Seconds the condition has held up to ``stamp``; None if it does not hold now."""
        if not holds:
            self._since = None
            return None
        if self._since is None or stamp < self._since:
            self._since = stamp
        return stamp - self._since

    def restart(self, stamp: float) -> None:
        """Count from ``stamp`` again (the condition still holds, but a new period begins)."""
        self._since = stamp


def _held(duration: float | None, needed: float) -> bool:
    return duration is not None and duration >= needed


class _InputAlarm:
    """STALE before the first message; ERROR while none arrives for ``silent_after_s``; the
    level of an input fault while one is reported. Clears one level per ``clear_s`` of usable
    messages, timed by their arrivals."""

    def __init__(self, config: AlarmConfig) -> None:
        self.config = config
        self.level = Level.OK
        self.reason = "receiving messages"
        self.silent = False
        """No usable messages now: the share state is frozen."""
        self._resumed: float | None = None
        """Arrival of the first usable message since the last silence or fault."""

    def update(self, stamp: float, age: float | None, fault: InputFault | None) -> bool:
        """Feed the age of the last message and the input fault; True if the level changed."""
        old = self.level
        limit = self.config.silent_after_s
        unusable = fault is not None and fault.level >= Level.ERROR
        self.silent = age is None or age > limit or unusable
        if age is None:
            self.level, self.reason = Level.STALE, "no message received yet"
        elif age > limit:
            self._resumed = None
            self.level, self.reason = Level.ERROR, f"no message for {age:.2f} s (> {limit:g} s)"
        elif fault is not None:
            self._resumed = None
            self.level, self.reason = max(self.level, fault.level), fault.reason
        elif self.level == Level.STALE:
            self.level, self.reason = Level.OK, "first message received"
        elif self.level != Level.OK:
            self._recover(stamp - age)
        return self.level != old

    def _recover(self, last_arrival: float) -> None:
        """Step down one level once usable messages have arrived over ``clear_s``."""
        if self._resumed is None or last_arrival < self._resumed:
            self._resumed = last_arrival
        flowing = last_arrival - self._resumed
        clear_s = self.config.clear_s
        if not _held(flowing, clear_s):
            self.reason = f"messages again for {flowing:.2f} s (clears after {clear_s:g} s)"
            return
        self.level = Level(self.level - 1)
        self._resumed = last_arrival
        self.reason = f"messages again for {flowing:.2f} s" + (
            "" if self.level == Level.OK else f"; {self.level.name} for another {clear_s:g} s")


class _ShareAlarm:
    """WARN/ERROR while the smoothed share stays below the thresholds of its baseline."""

    def __init__(self, baseline: float | None, config: AlarmConfig) -> None:
        self.config = config
        self.smoothed: float | None = None
        self.level = Level.OK
        self.rebase(baseline)
        self._below = {level: _Persistence() for level in (Level.WARN, Level.ERROR)}
        self._above = {level: _Persistence() for level in (Level.WARN, Level.ERROR)}

    @property
    def thresholds(self) -> Thresholds | None:
        if self.baseline is None:
            return None
        return Thresholds.from_baseline(self.baseline, self.config)

    def update(self, stamp: float, share: float) -> bool:
        """Feed one frame's share; True if the level changed."""
        config, old = self.config, self.level
        alpha = config.ema_alpha
        self.smoothed = (
            share if self.smoothed is None else alpha * share + (1 - alpha) * self.smoothed
        )
        if self.baseline is None:
            self._learn(share)
        thresholds = self.thresholds
        if thresholds is None:
            return False
        smoothed = self.smoothed
        below = {
            level: timer.update(stamp, smoothed < thresholds.raise_below(level))
            for level, timer in self._below.items()
        }
        above = {
            level: timer.update(stamp, smoothed > thresholds.clear_above(level))
            for level, timer in self._above.items()
        }
        for level in (Level.ERROR, Level.WARN):
            if level > self.level and _held(below[level], config.hold_s):
                self.level = level
                self.reason = (
                    f"share {smoothed:.3f} below {level.name} threshold "
                    f"{thresholds.raise_below(level):.3f} for {below[level]:.2f} s "
                    f"(baseline {self.baseline:.3f})"
                )
                return True
        if self.level != Level.OK and _held(above[self.level], config.clear_s):
            self.reason = (
                f"share {smoothed:.3f} above {thresholds.clear_above(self.level):.3f} for "
                f"{above[self.level]:.2f} s"
            )
            self.level = Level(self.level - 1)
            for timer in self._above.values():  # the next step needs clear_s of its own
                timer.restart(stamp)
        elif self.level == Level.OK:
            self.reason = f"share {smoothed:.3f} (baseline {self.baseline:.3f})"
        return self.level != old

    def rebase(self, baseline: float | None) -> None:
        """Use ``baseline`` from now on (None: learn it again over the warm-up)."""
        self.baseline: float | None = baseline
        self._warmup_shares: list[float] = []
        self.reason = "learning baseline" if baseline is None else f"baseline {baseline} configured"

    def _learn(self, share: float) -> None:
        self._warmup_shares.append(share)
        count, needed = len(self._warmup_shares), self.config.warmup_frames
        if count < needed:
            self.reason = f"learning baseline ({count}/{needed} frames)"
            return
        self.baseline = sum(self._warmup_shares) / count
        self.reason = f"baseline {self.baseline:.3f} learnt over {count} frames"
        self._warmup_shares = []


class _SensorAlarm:
    """One sensor: its inputs (silence, faults) and its share; the worse of the two decides,
    and an input problem freezes the share state."""

    def __init__(self, name: str, baseline: float | None, config: AlarmConfig) -> None:
        self.name = name
        self.age: float | None = None
        self._inputs = _InputAlarm(config)
        self._share = _ShareAlarm(baseline, config)

    @property
    def _deciding(self) -> _InputAlarm | _ShareAlarm:
        inputs = self._inputs
        return inputs if inputs.level != Level.OK and inputs.level >= self._share.level \
            else self._share

    def update(self, stamp: float, share: float | None, age: float | None,
               fault: InputFault | None = None) -> AlarmEvent | None:
        old = self._deciding.level
        self.age = age
        inputs_changed = self._inputs.update(stamp, age, fault)
        if share is not None and not self._inputs.silent:
            self._share.update(stamp, share)
        new = self._deciding.level
        if new == old:
            return None
        reason = self._inputs.reason if inputs_changed else self._deciding.reason
        return AlarmEvent(
            stamp, self.name, old, new, reason, self._share.smoothed, self._share.baseline
        )

    def reconfigure(self, config: AlarmConfig, new_baseline: bool) -> None:
        self._inputs.config = self._share.config = config
        if new_baseline:
            self._share.rebase(config.baselines.get(self.name))

    def status(self) -> SensorStatus:
        return SensorStatus(
            level=self._deciding.level,
            share=self._share.smoothed,
            baseline=self._share.baseline,
            thresholds=self._share.thresholds,
            age=self.age,
            reason=self._deciding.reason,
        )
