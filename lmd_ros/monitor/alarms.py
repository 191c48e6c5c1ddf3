"""Per-sensor alarms: the sensor stopped sending, or the detections' reliance on it moved.

Per modality the monitor gets, at every update (`AlarmUpdate`), one share per analysed frame
(how much of the frame's detections that sensor carries, the score-weighted mean of
``modality_shares``), the age of its last message, input faults, and two kinds of evidence
signals: cheap *input statistics* of its messages (brightness, contrast, point counts, ...) and
*cross-modal consistency* of its BEV evidence with the other sensors' (see `consistency`).
Levels follow diagnostic_msgs; every time is a stamp passed in (no clock), so the live node and
the offline bag analysis agree. The level of a sensor is the worst of:

* **Inputs** — ERROR as soon as no message arrived for more than ``silent_after_s``, or while
  the inputs report a fault (stamps no set can match: WARN when some of the modality's sensors
  are affected, ERROR when all are). It clears one step at a time, each step after ``clear_s``
  of usable messages, measured up to the *last message's arrival* (not to now): the quiet first
  ``silent_after_s`` of the next silence is no evidence of flow, so a sensor toggling on and
  off stays in ERROR. STALE until a sensor's first message.
* **Share** — a `CalibratedSignal`: WARN when the smoothed share moves ``warn_z`` spreads from
  its normal (either way), ERROR when it falls ``error_z`` spreads. The normal is the configured
  ``baselines`` / ``spreads`` (measured on clean drives), else learnt over the warm-up.
* **Consistency** — each consistency signal is a `CalibratedSignal` that warns on its own: an
  evidence map that stopped moving with the scene or sits rotated against the others' is a
  perception fault in itself.
* **Input statistics, corroborated** — a statistic outside its normal says *that* the sensor
  degraded; the share says *whether it matters*. A statistic at WARN raises the sensor to WARN
  only while the share is also ``corroborate_z`` spreads off its normal (checked when the
  statistic rises; it then holds until the statistic clears). Uncorroborated, it is reported at
  the lower level: the sensor stays OK and its reason names the statistic and the unchanged
  share. Every reason carries both kinds of evidence (e.g. ``front contrast 31.2, z -5.1
  (normal 48.9 ± 3.4) for 1.00 s; share 0.21, z -4.6 (normal 0.35 ± 0.03)``).

A frame with no detections gives share None: no evidence either way. A modality missing from a
frame's shares counts as share 0. While a sensor is silent every signal of it is frozen: what
it would show is the consequence of the silence, which already raised its own alarm.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from lmd_ros.monitor.calibrated_signal import (
    Band,
    CalibratedSignal,
    Normal,
    SignalConfig,
    held,
)
from lmd_ros.monitor.levels import Level

__all__ = ["AlarmConfig", "AlarmEvent", "AlarmMonitor", "AlarmSpan", "AlarmUpdate", "Band",
           "InputFault", "Level", "SensorStatus"]


@dataclass(frozen=True)
class AlarmConfig:
    """Thresholds and timing of the alarms; see the module docstring for their meaning."""

    baselines: Mapping[str, float | None] = field(default_factory=dict)
    """Normal share per modality; a missing entry or None is learnt during warm-up."""
    spreads: Mapping[str, float] = field(default_factory=dict)
    """Normal spread of each signal, keyed ``<modality>`` for its share and
    ``<modality>/<signal label>`` for the others; missing ones are learnt during warm-up."""
    warmup_frames: int = 50
    warn_z: float = 4.0
    error_z: float = 8.0
    corroborate_z: float = 1.0
    min_spread: float = 0.02
    """Floor of a share's spread (share units)."""
    relative_spread: float = 0.05
    """Floor of every spread, as a fraction of the signal's mean."""
    recovery: float = 0.5
    hold_s: float = 1.0
    clear_s: float = 2.0
    silent_after_s: float = 1.0
    ema_alpha: float = 0.2

    def __post_init__(self) -> None:
        checks = [
            (self.warmup_frames >= 1, f"warmup_frames must be >= 1, got {self.warmup_frames}"),
            (
                0 < self.corroborate_z <= self.warn_z < self.error_z,
                f"need 0 < corroborate_z <= warn_z < error_z, got {self.corroborate_z}, "
                f"{self.warn_z}, {self.error_z}",
            ),
            (self.min_spread >= 0, f"min_spread must be >= 0, got {self.min_spread}"),
            (self.relative_spread >= 0,
             f"relative_spread must be >= 0, got {self.relative_spread}"),
            (0 < self.recovery <= 1, f"recovery must be in (0, 1], got {self.recovery}"),
            (self.hold_s >= 0, f"hold_s must be >= 0, got {self.hold_s}"),
            (self.clear_s >= 0, f"clear_s must be >= 0, got {self.clear_s}"),
            (self.silent_after_s > 0, f"silent_after_s must be > 0, got {self.silent_after_s}"),
            (0 < self.ema_alpha <= 1, f"ema_alpha must be in (0, 1], got {self.ema_alpha}"),
            *(
                (share is None or 0 <= share <= 1, f"baseline {name!r} must be in [0, 1]: {share}")
                for name, share in self.baselines.items()
            ),
            *(
                (spread > 0, f"spread {name!r} must be > 0: {spread}")
                for name, spread in self.spreads.items()
            ),
        ]
        problems = [problem for ok, problem in checks if not ok]
        if problems:
            raise ValueError("invalid AlarmConfig: " + "; ".join(problems))

    def signal_config(self, share: bool) -> SignalConfig:
        """How a share (with an error level and an absolute floor) or another signal is judged."""
        return SignalConfig(
            warn_z=self.warn_z, error_z=self.error_z if share else None,
            min_spread=self.min_spread if share else 0.0, relative_spread=self.relative_spread,
            warmup_frames=self.warmup_frames, ema_alpha=self.ema_alpha, hold_s=self.hold_s,
            clear_s=self.clear_s, recovery=self.recovery)


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
    """Everything a diagnostics display needs about one sensor right now; ``band`` holds the
    share's thresholds and ``share_z`` how many spreads it is from normal."""

    level: Level
    share: float | None
    baseline: float | None
    band: Band | None
    share_z: float | None
    age: float | None
    reason: str


@dataclass(frozen=True)
class AlarmUpdate:
    """Everything one alarm update sees, per modality: the frame's share (None: no detections;
    absent: 0), the age of the last message (None or absent: none yet), an input fault, and the
    signals new since the last update, by label (input statistics; consistency). Recorded, a
    sequence of updates replays the alarms exactly (``AlarmMonitor.feed``)."""

    stamp: float
    shares: Mapping[str, float | None]
    ages: Mapping[str, float | None]
    faults: Mapping[str, InputFault] = field(default_factory=dict)
    statistics: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    consistency: Mapping[str, Mapping[str, float]] = field(default_factory=dict)


class AlarmMonitor:
    """Per-modality alarm state, driven by one update per synchronised frame or tick."""

    def __init__(self, modalities: Sequence[str], config: AlarmConfig) -> None:
        unknown = set(config.baselines) - set(modalities)
        if unknown:
            raise ValueError(f"baselines for unknown modalities {sorted(unknown)}")
        self.config = config
        self._sensors = {name: _SensorAlarm(name, config) for name in modalities}
        self._spans: list[AlarmSpan] = []
        self._open_span: dict[str, int] = {}

    def update(
        self,
        stamp: float,
        shares: Mapping[str, float | None],
        ages: Mapping[str, float | None],
        faults: Mapping[str, InputFault] | None = None,
    ) -> list[AlarmEvent]:
        """Feed one frame's shares, ages and faults (see `AlarmUpdate`); returns the level
        changes."""
        return self.feed(AlarmUpdate(stamp, shares, ages, faults or {}))

    def feed(self, update: AlarmUpdate) -> list[AlarmEvent]:
        """Feed one update; returns the level changes."""
        unknown = {name for part in (update.shares, update.ages, update.faults,
                                     update.statistics, update.consistency)
                   for name in part} - set(self._sensors)
        if unknown:
            raise ValueError(f"alarm inputs for unknown modalities {sorted(unknown)}")
        sensors = self._sensors
        before = {name: sensor.level for name, sensor in sensors.items()}
        inputs_changed = {name: sensor.observe(update) for name, sensor in sensors.items()}
        losing = {name for name, sensor in sensors.items() if sensor.losing}
        leaders = _consistency_leaders(sensors.values())
        events = []
        for name, sensor in sensors.items():
            sensor.explained = bool(losing - {name})
            sensor.leads = {label for label, leader in leaders.items() if leader is sensor}
            event = sensor.event(update.stamp, before[name], inputs_changed[name])
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
        if not held(flowing, clear_s):
            self.reason = f"messages again for {flowing:.2f} s (clears after {clear_s:g} s)"
            return
        self.level = Level(self.level - 1)
        self._resumed = last_arrival
        self.reason = f"messages again for {flowing:.2f} s" + (
            "" if self.level == Level.OK else f"; {self.level.name} for another {clear_s:g} s")


class _SensorAlarm:
    """One sensor: its inputs, share, consistency and corroborated statistics; the worst
    decides, and an input problem freezes every signal."""

    def __init__(self, name: str, config: AlarmConfig) -> None:
        self.name = name
        self.config = config
        self.age: float | None = None
        self._inputs = _InputAlarm(config)
        self._share = CalibratedSignal("share", config.signal_config(share=True),
                                       Normal(config.baselines.get(name), config.spreads.get(name)))
        self.consistency: dict[str, CalibratedSignal] = {}
        self._statistics: dict[str, CalibratedSignal] = {}
        self._corroborated: set[str] = set()
        """Statistics at WARN that rose while the share was off its normal too."""
        self.leads: set[str] = set()
        """Consistency signals on which this sensor is the furthest off normal: a rotated map
        turns the others' reference too, so only the worst of them is blamed."""
        self.explained = False
        """Another sensor is losing its share (or its input): a rise of this one's share is the
        consequence, as shares sum to 1, and no fault of this sensor."""

    @property
    def _deciding(self) -> _InputAlarm | CalibratedSignal:
        inputs, share = self._inputs, self._share
        rise_explained = self.explained and (share.z or 0.0) > 0
        judged = [*([] if rise_explained else [share]),
                  *(self.consistency[label] for label in sorted(self.leads)),
                  *(self._statistics[label] for label in sorted(self._corroborated))]
        worst = max(judged, key=lambda signal: signal.level, default=None)
        if worst is None or (inputs.level != Level.OK and inputs.level >= worst.level):
            return inputs
        return worst

    @property
    def level(self) -> Level:
        return self._deciding.level

    @property
    def losing(self) -> bool:
        """Its input is faulty, or its share is ``corroborate_z`` spreads below normal."""
        z = self._share.z
        return self._inputs.level != Level.OK or (
            z is not None and z <= -self.config.corroborate_z)

    def observe(self, update: AlarmUpdate) -> bool:
        """Feed the update to every signal; True if the input level changed."""
        stamp, name = update.stamp, self.name
        self.age = update.ages.get(name)
        inputs_changed = self._inputs.update(stamp, self.age, update.faults.get(name))
        if not self._inputs.silent:
            share = update.shares.get(name, 0.0)
            if share is not None:
                self._share.update(stamp, share)
            for signals, values in ((self.consistency, update.consistency),
                                    (self._statistics, update.statistics)):
                for label, value in values.get(name, {}).items():
                    self._signal(signals, label).update(stamp, value)
        return inputs_changed

    def event(self, stamp: float, old: Level, inputs_changed: bool) -> AlarmEvent | None:
        """Corroborate the statistics, then the level change since ``old``, if any."""
        if not self._inputs.silent:
            self._corroborate()
        name, new = self.name, self.level
        if new == old:
            return None
        return AlarmEvent(stamp, name, old, new, self._event_reason(inputs_changed),
                          self._share.smoothed, self._share.mean)

    def _event_reason(self, inputs_changed: bool) -> str:
        """The inputs' reason when they changed, with the share unless a silence froze it;
        else the deciding signal's."""
        if not inputs_changed:
            return self.reason()
        if self._inputs.silent or not self._share.ready:
            return self._inputs.reason
        return f"{self._inputs.reason}; {self._share.describe()}"

    def _signal(self, signals: dict[str, CalibratedSignal], label: str) -> CalibratedSignal:
        if label not in signals:
            config = self.config
            signals[label] = CalibratedSignal(
                label, config.signal_config(share=False),
                Normal(spread=config.spreads.get(f"{self.name}/{label}")))
        return signals[label]

    def _corroborate(self) -> None:
        """A statistic at WARN is corroborated by a share off normal that another sensor's loss
        does not explain."""
        z, needed = self._share.z, self.config.corroborate_z
        moved = z is not None and (z <= -needed or (z >= needed and not self.explained))
        for label, signal in self._statistics.items():
            if signal.level == Level.OK:
                self._corroborated.discard(label)
            elif moved:
                self._corroborated.add(label)

    def reason(self) -> str:
        """The deciding reason, with the share beside any other signal's, and the statistics
        that are off normal without the perception depending on it."""
        deciding = self._deciding
        parts = [deciding.reason]
        if deciding is not self._share and self._share.ready:
            parts.append(self._share.describe())
        parts += [f"{s.describe()} (share unaffected)" for label, s in self._statistics.items()
                  if s.level != Level.OK and label not in self._corroborated]
        return "; ".join(parts)

    def reconfigure(self, config: AlarmConfig, new_baseline: bool) -> None:
        self.config = self._inputs.config = config
        self._share.config = config.signal_config(share=True)
        for signal in (*self.consistency.values(), *self._statistics.values()):
            signal.config = config.signal_config(share=False)
        if new_baseline:
            self._share.recalibrate(Normal(config.baselines.get(self.name),
                                           config.spreads.get(self.name)))

    def status(self) -> SensorStatus:
        share = self._share
        return SensorStatus(
            level=self._deciding.level,
            share=share.smoothed,
            baseline=share.mean,
            band=share.band,
            share_z=share.z,
            age=self.age,
            reason=self.reason(),
        )


def _consistency_leaders(sensors: Iterable[_SensorAlarm]) -> dict[str, _SensorAlarm]:
    """Per consistency signal, the sensor whose value is furthest from its normal."""
    leaders: dict[str, tuple[float, _SensorAlarm]] = {}
    for sensor in sensors:
        for label, signal in sensor.consistency.items():
            z = abs(signal.z) if signal.z is not None else -1.0
            if label not in leaders or z > leaders[label][0]:
                leaders[label] = (z, sensor)
    return {label: sensor for label, (_, sensor) in leaders.items()}
