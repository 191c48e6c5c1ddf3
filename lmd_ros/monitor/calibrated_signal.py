"""One monitored quantity judged against its own normal variability: a two-sided detector.

A radar share of 4 % that normally swings by ±2 % and a camera share of 35 % that swings by ±3 %
cannot share one "fraction of the baseline" rule: the first flaps, the second misses a 40 % drop.
Each signal therefore has a *mean* and a *spread* — configured (measured on clean drives by
``lmd_benchmark alarms``) or learnt over the first ``warmup_frames`` values — and is judged by
the z-score of its exponential moving average, ``z = (EMA − mean) / spread``:

* WARN once ``|z| ≥ warn_z`` has held for ``hold_s``, on either side: a share that rises
  abnormally (a ghost-ridden radar, a frozen camera the model keeps trusting) is as suspicious
  as one that falls. ERROR once ``z ≤ −error_z`` has held for ``hold_s`` (signals with an error
  level only): the sensor carries much less than normal.
* A level clears one step at a time, once ``z`` has stayed back past that level's clear bound
  for ``clear_s``; the bound sits ``recovery`` of the way from the level's threshold back to the
  next level's (to 0 for WARN), so a signal jittering around a threshold neither raises
  (interrupted hold) nor clears (never back past the bound) an alarm.
* The spread used is at least ``min_spread`` and ``relative_spread × |mean|``: a warm-up on a
  calm stretch of road must not turn ordinary noise into alarms.
* Stamps running backwards (a looping bag) restart the hold and clear timers.
"""

from __future__ import annotations

from dataclasses import dataclass

from lmd_ros.monitor.levels import Level


@dataclass(frozen=True)
class SignalConfig:
    """How one kind of signal is judged; see the module docstring."""

    warn_z: float = 4.0
    error_z: float | None = None
    """None: the signal only warns."""
    min_spread: float = 0.0
    relative_spread: float = 0.0
    warmup_frames: int = 20
    ema_alpha: float = 0.2
    hold_s: float = 1.0
    clear_s: float = 2.0
    recovery: float = 0.5


@dataclass(frozen=True)
class Normal:
    """What the signal is normally: None entries are learnt over the warm-up."""

    mean: float | None = None
    spread: float | None = None


@dataclass(frozen=True)
class Band:
    """Smoothed values outside (``warn_below``, ``warn_above``) warn; below ``error_below``
    (None: no error level) is an error."""

    warn_below: float
    warn_above: float
    error_below: float | None


class Persistence:
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


def held(duration: float | None, needed: float) -> bool:
    return duration is not None and duration >= needed


_RAISES = (("error", Level.ERROR), ("low", Level.WARN), ("high", Level.WARN))
"""Each bound that raises a level has its own hold: a swing from above to below normal starts
a new one."""


class CalibratedSignal:
    """The level of one signal, driven by one ``update`` per value; ``label`` names it in
    reasons (e.g. ``share``, ``front contrast``)."""

    def __init__(self, label: str, config: SignalConfig, normal: Normal = Normal()) -> None:
        self.label = label
        self.config = config
        self.smoothed: float | None = None
        self.level = Level.OK
        self.recalibrate(normal)
        self._raise = {bound: Persistence() for bound, _ in _RAISES}
        self._clear = {level: Persistence() for level in (Level.WARN, Level.ERROR)}

    @property
    def ready(self) -> bool:
        return self.mean is not None and self.spread is not None

    @property
    def effective_spread(self) -> float:
        assert self.mean is not None and self.spread is not None
        config = self.config
        return max(self.spread, config.min_spread, config.relative_spread * abs(self.mean), 1e-9)

    @property
    def z(self) -> float | None:
        """How many spreads the smoothed value is from normal; None before calibration."""
        if not self.ready or self.smoothed is None:
            return None
        return (self.smoothed - self.mean) / self.effective_spread

    @property
    def band(self) -> Band | None:
        if not self.ready:
            return None
        spread, config = self.effective_spread, self.config
        return Band(self.mean - config.warn_z * spread, self.mean + config.warn_z * spread,
                    None if config.error_z is None else self.mean - config.error_z * spread)

    def update(self, stamp: float, value: float) -> bool:
        """Feed one value; True if the level changed."""
        alpha, old = self.config.ema_alpha, self.level
        self.smoothed = value if self.smoothed is None else \
            alpha * value + (1 - alpha) * self.smoothed
        if not self.ready:
            self._learn(value)
        z = self.z
        if z is None:
            return False
        raises = {bound: timer.update(stamp, self._beyond(bound, z))
                  for bound, timer in self._raise.items()}
        clears = {level: timer.update(stamp, self._back(level, z))
                  for level, timer in self._clear.items()}
        for bound, level in _RAISES:
            if level > self.level and held(raises[bound], self.config.hold_s):
                self.level = level
                self.reason = f"{self.describe()} for {raises[bound]:.2f} s"
                return True
        if self.level != Level.OK and held(clears[self.level], self.config.clear_s):
            self.reason = f"{self.describe()}: back for {clears[self.level]:.2f} s"
            self.level = Level(self.level - 1)
            for timer in self._clear.values():  # the next step needs clear_s of its own
                timer.restart(stamp)
        elif self.level == Level.OK:
            self.reason = self.describe()
        return self.level != old

    def describe(self) -> str:
        """The value against normal: ``share 0.21, z -4.7 (normal 0.35 ± 0.03)``."""
        z = self.z
        if z is None:
            return self.reason
        return (f"{self.label} {self.smoothed:.3g}, z {z:+.1f} (normal {self.mean:.3g} ± "
                f"{self.effective_spread:.2g})")

    def recalibrate(self, normal: Normal) -> None:
        """Use ``normal`` from now on (None entries: learn them again over the warm-up)."""
        self.mean, self.spread = normal.mean, normal.spread
        self._warmup: list[float] = []
        self.reason = f"learning {self.label}" if not self.ready else \
            f"{self.label} normal {self.mean:.3g} ± {self.effective_spread:.2g} configured"

    def _beyond(self, bound: str, z: float) -> bool:
        config = self.config
        if bound == "error":
            return config.error_z is not None and z <= -config.error_z
        return (z <= -config.warn_z) if bound == "low" else (z >= config.warn_z)

    def _back(self, level: Level, z: float) -> bool:
        """Back past the clear bound of ``level``."""
        config = self.config
        if level == Level.WARN:
            return abs(z) <= (1 - config.recovery) * config.warn_z
        if config.error_z is None:
            return True
        return z >= -(config.error_z - config.recovery * (config.error_z - config.warn_z))

    def _learn(self, value: float) -> None:
        self._warmup.append(value)
        count, needed = len(self._warmup), self.config.warmup_frames
        if count < needed:
            self.reason = f"learning {self.label} ({count}/{needed} frames)"
            return
        mean = sum(self._warmup) / count
        spread = (sum((v - mean) ** 2 for v in self._warmup) / count) ** 0.5
        self.mean = mean if self.mean is None else self.mean
        self.spread = spread if self.spread is None else self.spread
        self.reason = f"{self.label} normal {self.mean:.3g} ± {self.spread:.2g} learnt over " \
                      f"{count} frames"
        self._warmup = []
