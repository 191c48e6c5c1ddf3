"""The monitor without ROS: messages in, synchronised frames, attributions and alarms out.

The live node and the bag analysis both drive one `MonitorCore`, so they cannot disagree. Time
is always passed in (`now`): the node's ROS clock, or the bag's record time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from lmd_ros.monitor.alarms import AlarmConfig, AlarmEvent, AlarmMonitor, InputFault, Level
from lmd_ros.monitor.attribution import Attributor, FrameAttribution
from lmd_ros.monitor.settings import MonitorSettings
from lmd_ros.monitor.synchronizer import SyncedSet, Synchronizer
from lmd_ros.monitor.watchdog import OutputWatchdog
from lmd_ros.sensors import Rig, SensorFrame

CAMERA_PREFIX = "camera/"
TICK_S = 0.05
"""How often a running monitor flushes sets held back by a stale source and checks silence."""


def alarm_config(settings: MonitorSettings, modalities: tuple[str, ...]) -> AlarmConfig:
    return AlarmConfig(
        baselines={m: settings.baseline(m) for m in modalities},
        warmup_frames=settings.warmup_frames,
        warn_drop=settings.warn_drop,
        error_drop=settings.error_drop,
        hold_s=settings.hold_s,
        clear_s=settings.clear_s,
        silent_after_s=settings.silent_after_s,
    )


def failure_reason(error: Exception, limit: int = 120) -> str:
    """What a failed frame is counted under: the exception type and its text, one short line."""
    text = " ".join(f"{type(error).__name__}: {error}".split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def sensor_kind(source: str) -> str:
    """``camera/front`` → ``camera``; ``radar`` → ``radar``."""
    return source.split("/", 1)[0]


def configured_sources(settings: MonitorSettings) -> tuple[str, ...]:
    """The sources the configuration gives topics for (an empty topic means no such sensor)."""
    return (*(CAMERA_PREFIX + name for name in settings.camera_names),
            *(kind for kind in ("radar", "lidar") if getattr(settings, f"{kind}_topic")))


@dataclass(frozen=True)
class FrameRecord:
    """One processed frame as the outputs need it."""

    attribution: FrameAttribution
    events: list[AlarmEvent]
    latency_s: float


class MonitorCore:
    """Synchroniser + attribution + alarms + the counters that /diagnostics reports.

    Not thread-safe by itself: the node serialises `ingest`, `tick` and `record`; `analyse`
    touches no shared state and may run on a worker thread.
    """

    def __init__(self, settings: MonitorSettings, attributor: Attributor, rig: Rig) -> None:
        self.settings = settings
        self.attributor = attributor
        self.rig = rig
        self.modalities = attributor.modalities
        self.feeds = attributor.adapter.sensors
        self.class_names = tuple(attributor.adapter.class_names)
        self.sources = configured_sources(settings)
        self.synchronizer = Synchronizer(self.sources, settings.slop, settings.stale_after)
        self.alarms = AlarmMonitor(self.modalities, alarm_config(settings, self.modalities))
        self.watchdog = OutputWatchdog(self.modalities, settings.stale_after + settings.hold_s)
        self.rejected: Counter[tuple[str, str]] = Counter()
        self.skipped_sets = 0
        self.dropped_detections = 0
        self.processed = 0
        self.latency_s: float | None = None

    def ingest(self, source: str, stamp: float, data, now: float) -> list[SyncedSet]:
        """One converted message; returns the sets it completed."""
        return self.synchronizer.push(source, stamp, data, now)

    def reject(self, source: str, reason: str) -> None:
        """Count a message that could not be converted (reported on /diagnostics)."""
        self.rejected[(source, reason)] += 1

    def frame(self, synced: SyncedSet) -> SensorFrame:
        images = {
            source.removeprefix(CAMERA_PREFIX): data
            for source, data in synced.messages.items()
            if source.startswith(CAMERA_PREFIX)
        }
        return SensorFrame(
            stamp=synced.stamp,
            images=images,
            radar=synced.messages.get("radar"),
            lidar=synced.messages.get("lidar"),
        )

    def analyse(self, synced: SyncedSet) -> FrameAttribution:
        """Model + decomposition of one set (the heavy part; no shared state)."""
        return self.attributor(self.frame(synced), self.rig)

    def record(self, attribution: FrameAttribution, now: float) -> FrameRecord:
        """Feed a finished attribution to the alarms; ``now`` is when its result exists."""
        self.processed += 1
        self.dropped_detections += attribution.dropped
        latency = now - attribution.stamp
        self.latency_s = latency
        self.watchdog.processed(now, attribution.present)
        shares = attribution.frame_shares() or dict.fromkeys(self.modalities)
        return FrameRecord(attribution, self._update_alarms(now, shares), latency)

    def frame_failed(self, reason: str) -> None:
        """A set the model could not analyse: counted per reason, shown by the watchdog."""
        self.reject("frame", reason)
        self.watchdog.failed(reason)

    def tick(self, now: float) -> tuple[list[SyncedSet], list[AlarmEvent]]:
        """Periodic: flush sets a stale source was holding back, and check for silence."""
        sets = self.synchronizer.poll(now)
        return sets, self._update_alarms(now, dict.fromkeys(self.modalities))

    def _update_alarms(self, now: float, shares: dict[str, float | None]) -> list[AlarmEvent]:
        ages = self.ages(now)
        alive = [m for m, age in ages.items()
                 if age is not None and age <= self.settings.silent_after_s]
        self.watchdog.observe(now, alive)
        return self.alarms.update(now, shares, ages, self.faults(now))

    def faults(self, now: float) -> dict[str, InputFault]:
        """Per modality: sources whose stamps cannot be matched (ERROR when all of its sources
        are affected, WARN when some are), else what the output watchdog finds."""
        faults = self.watchdog.faults(now)
        unusable = self.synchronizer.unusable(now)
        for modality in self.modalities:
            sources = self.topics_of(modality)
            bad = [s for s in sources if s in unusable]
            if bad:
                reason = unusable[bad[0]] if sources == (bad[0],) else "; ".join(
                    f"{s}: {unusable[s]}" for s in bad)
                faults[modality] = InputFault(
                    Level.ERROR if len(bad) == len(sources) else Level.WARN, reason)
        return faults

    def pipeline_health(self, now: float) -> tuple[Level, str]:
        """The pipeline status: the watchdog's verdict, at least WARN once input was rejected."""
        level, reason = self.watchdog.pipeline(now)
        if level == Level.OK and self.rejected:
            return Level.WARN, f"{sum(self.rejected.values())} messages rejected"
        return level, reason

    def ages(self, now: float) -> dict[str, float | None]:
        """Age of each modality's freshest message: a modality lives while any of its sensors
        does (any camera, for a camera modality)."""
        ages: dict[str, float | None] = dict.fromkeys(self.modalities)
        for source, age in self.synchronizer.staleness(now).items():
            for modality in self.modalities_of(source):
                if age is not None and (ages[modality] is None or age < ages[modality]):
                    ages[modality] = age
        return ages

    def modalities_of(self, source: str) -> tuple[str, ...]:
        """The modalities a source feeds."""
        return tuple(m for m in self.modalities if sensor_kind(source) in self.feeds[m])

    def topics_of(self, modality: str) -> tuple[str, ...]:
        """The sources feeding a modality."""
        return tuple(s for s in self.sources if sensor_kind(s) in self.feeds[modality])
