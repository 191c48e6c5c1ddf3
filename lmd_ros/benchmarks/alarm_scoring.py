"""Scoring alarm timelines against the faults that were injected: pure functions, any method.

* A fault is detected when a sensor it degrades (`fault_sensors`) raises an alarm (WARN or
  worse) with its onset from the fault's start to ``hold_s + GRACE_S`` after its end. An alarm
  already raised before the start does not count: it is a false alarm, not a detection.
  The delay is the onset minus the start.
* Wrong-sensor alarms: alarms on any other sensor with their onset inside the fault.
* False alarms: alarms, any sensor, with their onset in clean driving: after the first
  ``warmup`` seconds of a drive (the product learns its baselines there), up to the fault's
  start (a clean drive: up to its end).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lmd_ros.monitor.alarms import AlarmSpan, Level
from lmd_ros.world import Fault

if TYPE_CHECKING:
    from lmd_ros.benchmarks.drive_trace import FrameTrace

GRACE_S = 1.0
"""How long after a fault ends (and the hold after it) an alarm still counts as detecting it."""
DEGRADING_MIN_SEVERITY = 0.5
"""Degrading faults at least this severe make the overall detection rate; milder ones are
listed, but a monitor may fairly stay quiet on them."""
HOUR_S = 3600.0


def fault_sensors(kind: str) -> tuple[str, ...]:
    """The sensors a fault degrades: ``camera_*`` the camera, ..., fog the camera and LiDAR."""
    return ("camera", "lidar") if kind == "fog" else (kind.split("_", 1)[0],)


def is_silent(kind: str) -> bool:
    return kind.endswith("_silent")


def min_warmup_s(warmup_frames: int, rate_hz: float) -> float:
    """The shortest warm-up to exclude: the product's baseline learning, and a second."""
    return warmup_frames / rate_hz + 1.0


def raised(span: AlarmSpan) -> bool:
    return span.level >= Level.WARN


@dataclass(frozen=True)
class FaultScore:
    """One fault under one method: per degraded sensor the delay of its alarm (None: none)."""

    delays: dict[str, float | None]
    wrong_sensor: int

    @property
    def delay(self) -> float | None:
        """The first alarm's delay; a fault on two sensors is detected by either."""
        return min((d for d in self.delays.values() if d is not None), default=None)


def score_fault(timeline: Sequence[AlarmSpan], fault: Fault, hold_s: float) -> FaultScore:
    sensors = fault_sensors(fault.kind)
    last = fault.end_s + hold_s + GRACE_S
    delays = {}
    for sensor in sensors:
        onsets = [s.onset for s in timeline
                  if s.sensor == sensor and raised(s) and fault.start_s <= s.onset <= last]
        delays[sensor] = min(onsets) - fault.start_s if onsets else None
    wrong = sum(1 for s in timeline if s.sensor not in sensors and raised(s)
                and fault.start_s <= s.onset < fault.end_s)
    return FaultScore(delays, wrong)


def clean_interval(seconds: float, warmup: float, fault: Fault | None) -> tuple[float, float]:
    """The clean driving of a drive, [start, end); empty (start >= end) when there is none."""
    return warmup, seconds if fault is None else fault.start_s


def false_alarms(timeline: Sequence[AlarmSpan], interval: tuple[float, float]) -> int:
    start, end = interval
    return sum(1 for s in timeline if raised(s) and start <= s.onset < end)


@dataclass(frozen=True)
class DriveScore:
    """One drive under one method: its fault's score (None: clean) and its false alarms."""

    condition: str
    fault: Fault | None
    score: FaultScore | None
    false_alarms: int
    clean_s: float


def score_drive(timeline: Sequence[AlarmSpan], condition: str, fault: Fault | None,
                seconds: float, warmup: float, hold_s: float) -> DriveScore:
    start, end = clean_interval(seconds, warmup, fault)
    return DriveScore(condition, fault, None if fault is None else score_fault(timeline, fault,
                                                                             hold_s),
                      false_alarms(timeline, (start, end)), max(0.0, end - start))


@dataclass(frozen=True)
class GroupScore:
    """Faults of one group: how many were detected (per degraded sensor too), delays of the
    detected ones, and the wrong-sensor alarms during them."""

    faults: int
    detected: int
    by_sensor: dict[str, int]
    delay_p50: float | None
    delay_p95: float | None
    wrong_sensor: int

    @property
    def rate(self) -> float | None:
        return self.detected / self.faults if self.faults else None


def group_score(scores: Sequence[FaultScore]) -> GroupScore:
    delays = [s.delay for s in scores if s.delay is not None]
    sensors = {sensor for s in scores for sensor in s.delays}
    return GroupScore(
        faults=len(scores), detected=len(delays),
        by_sensor={sensor: sum(s.delays.get(sensor) is not None for s in scores)
                   for sensor in sorted(sensors)},
        delay_p50=float(np.percentile(delays, 50)) if delays else None,
        delay_p95=float(np.percentile(delays, 95)) if delays else None,
        wrong_sensor=sum(s.wrong_sensor for s in scores))


@dataclass(frozen=True)
class Summary:
    """A method over a campaign: per (fault kind, severity), the degrading faults of at least
    ``DEGRADING_MIN_SEVERITY``, the silent ones; false alarms over clean time, per condition."""

    faults: dict[tuple[str, float], GroupScore]
    degrading: GroupScore
    silent: GroupScore
    false_alarms: int
    clean_h: float
    by_condition: dict[str, tuple[int, float]]
    """Per condition: false alarms and clean hours."""

    @property
    def false_alarms_per_h(self) -> float | None:
        return per_hour(self.false_alarms, self.clean_h)


def per_hour(count: int, hours: float) -> float | None:
    return count / hours if hours > 0 else None


def summarise(drives: Sequence[DriveScore]) -> Summary:
    faulted = [d for d in drives if d.fault is not None and d.score is not None]
    keys = sorted({(d.fault.kind, d.fault.severity) for d in faulted})
    conditions = sorted({d.condition for d in drives})
    return Summary(
        faults={key: group_score([d.score for d in faulted
                                  if (d.fault.kind, d.fault.severity) == key]) for key in keys},
        degrading=group_score([d.score for d in faulted if not is_silent(d.fault.kind)
                               and d.fault.severity >= DEGRADING_MIN_SEVERITY]),
        silent=group_score([d.score for d in faulted if is_silent(d.fault.kind)]),
        false_alarms=sum(d.false_alarms for d in drives),
        clean_h=sum(d.clean_s for d in drives) / HOUR_S,
        by_condition={c: (sum(d.false_alarms for d in drives if d.condition == c),
                          sum(d.clean_s for d in drives if d.condition == c) / HOUR_S)
                      for c in conditions})


@dataclass(frozen=True)
class Impact:
    """What a fault did to perception: the degraded sensors' mean share and the detections per
    frame, in clean driving before the fault and during it (None: no such frame)."""

    share_before: dict[str, float | None]
    share_during: dict[str, float | None]
    detections_before: float | None
    detections_during: float | None


def perception_impact(frames: Sequence[FrameTrace], fault: Fault, warmup: float) -> Impact:
    before = [f for f in frames if warmup <= f.stamp < fault.start_s]
    during = [f for f in frames if fault.start_s <= f.stamp < fault.end_s]

    def share(part: Sequence[FrameTrace], sensor: str) -> float | None:
        values = [f.shares[sensor] for f in part if f.shares is not None]
        return float(np.mean(values)) if values else None

    def detections(part: Sequence[FrameTrace]) -> float | None:
        return float(np.mean([f.detections for f in part])) if part else None

    sensors = fault_sensors(fault.kind)
    return Impact({s: share(before, s) for s in sensors}, {s: share(during, s) for s in sensors},
                  detections(before), detections(during))
