"""The monitor without ROS: messages in, synchronised frames, attributions and alarms out.

The live node and the bag analysis both drive one `MonitorCore`, so they cannot disagree. Time
is always passed in (`now`): the node's ROS clock, or the bag's record time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from lmd_ros.monitor.alarms import (
    AlarmConfig,
    AlarmEvent,
    AlarmMonitor,
    AlarmUpdate,
    InputFault,
    Level,
)
from lmd_ros.monitor.attribution import Attributor, FrameAttribution
from lmd_ros.monitor.clouds import merge_clouds
from lmd_ros.monitor.consistency import EvidenceConsistency
from lmd_ros.monitor.input_checks import InputChecks
from lmd_ros.monitor.input_statistics import InputStatistics
from lmd_ros.monitor.rig_sources import CameraIntrinsics, RigSources
from lmd_ros.monitor.settings import MonitorSettings
from lmd_ros.monitor.synchronizer import SyncedSet, Synchronizer
from lmd_ros.monitor.watchdog import OutputWatchdog
from lmd_ros.sensors import Rig, SensorFrame

CAMERA_PREFIX = "camera/"
CAMERA_INFO_PREFIX = "camera_info/"
TF_STATIC = "tf_static"
TICK_S = 0.05
"""How often a running monitor flushes sets held back by a stale source and checks silence."""


def alarm_config(settings: MonitorSettings, modalities: tuple[str, ...],
                 spreads: Mapping[str, float]) -> AlarmConfig:
    return AlarmConfig(
        baselines={m: settings.baseline(m) for m in modalities},
        spreads=spreads,
        warmup_frames=settings.warmup_frames,
        warn_z=settings.warn_z,
        error_z=settings.error_z,
        corroborate_z=settings.corroborate_z,
        min_spread=settings.min_spread,
        hold_s=settings.hold_s,
        clear_s=settings.clear_s,
        silent_after_s=settings.silent_after_s,
    )


def failure_reason(error: Exception, limit: int = 120) -> str:
    """What a failed frame is counted under: the exception type and its text, one short line."""
    text = " ".join(f"{type(error).__name__}: {error}".split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def is_calibration(source: str) -> bool:
    """A CameraInfo or /tf_static source: it updates the rig, it carries no sensor data."""
    return source.startswith(CAMERA_INFO_PREFIX) or source == TF_STATIC


def sensor_kind(source: str) -> str:
    """``camera/front`` → ``camera``; ``radar`` → ``radar``."""
    return source.split("/", 1)[0]


def source_topics(settings: MonitorSettings) -> dict[str, str]:
    """Every configured sensor source (``camera/<name>``, ``radar/<name>``, ``lidar/<name>``)
    and its topic."""
    pairs = [(CAMERA_PREFIX + n, t) for n, t in zip(settings.camera_names,
                                                    settings.camera_topics, strict=True)]
    for kind in ("radar", "lidar"):
        pairs += [(f"{kind}/{n}", t) for n, t in zip(getattr(settings, f"{kind}_names"),
                                                     getattr(settings, f"{kind}_topics"),
                                                     strict=True)]
    return dict(pairs)


def configured_sources(settings: MonitorSettings) -> tuple[str, ...]:
    """The sensor sources the configuration gives topics for."""
    return tuple(source_topics(settings))


@dataclass(frozen=True)
class FrameRecord:
    """One processed frame as the outputs need it."""

    attribution: FrameAttribution
    events: list[AlarmEvent]
    latency_s: float


class MonitorCore:
    """Synchroniser + attribution + alarms + the counters that /diagnostics reports.

    Not thread-safe by itself: the node serialises `ingest`, `tick`, `prepare` and `record`;
    the model (`analyse`, or a child process fed by `prepare`) reads only the frame and the
    rig snapshot, so it may run elsewhere.
    """

    def __init__(self, settings: MonitorSettings, attributor: Attributor,
                 rig_sources: RigSources, alarm_spreads: Mapping[str, float] | None = None) -> None:
        self.settings = settings
        self.attributor = attributor
        self.rig_sources = rig_sources
        self.rig: Rig = rig_sources.rig
        """The calibrated sensors now: an immutable snapshot, replaced as calibration arrives."""
        self.modalities = attributor.modalities
        self.feeds = attributor.adapter.sensors
        self.class_names = tuple(attributor.adapter.class_names)
        self.sources = configured_sources(settings)
        self.synchronizer = Synchronizer(self.sources, settings.slop, settings.stale_after)
        self.alarm_spreads = dict(alarm_spreads or {})
        """Normal spreads of the alarm signals (see `alarm_calibration`)."""
        self.alarms = AlarmMonitor(self.modalities,
                                   alarm_config(settings, self.modalities, self.alarm_spreads))
        self.alarm_log: list[AlarmUpdate] | None = None
        """Set to a list to record every alarm update (they replay the alarms exactly)."""
        self.started: float | None = None
        """When the first message or tick reached the core."""
        self.rig_problem: str | None = None
        """Why the model cannot run on the current rig (frames fail with it), if it cannot."""
        self.inputs = InputChecks(attributor.adapter.field_ranges)
        self.statistics = InputStatistics()
        grid = attributor.adapter.bev_grid
        self.consistency = None if grid is None else EvidenceConsistency(self.modalities, grid)
        self._fresh_statistics: dict[str, dict[str, float]] = {}
        """Per modality, the input statistics of messages since the last alarm update."""
        self._unchanged_since: dict[str, float] = {}
        """Cameras whose image has equalled the previous one since this arrival: no live
        camera repeats its noise, so that camera is frozen."""
        self.watchdog = OutputWatchdog(self.modalities, settings.stale_after + settings.hold_s)
        self.rejected: Counter[tuple[str, str]] = Counter()
        self.skipped_sets = 0
        self.dropped_detections = 0
        self.frames_with_decomposition_warnings = 0
        self.last_decomposition_warning: str | None = None
        self.processed = 0
        self.latency_s: float | None = None
        self.single_sensor_detections: int | None = None
        """The last frame's detections that depend on one sensor alone."""

    def ingest(self, source: str, stamp: float, data, now: float,
               frame_id: str = "") -> list[SyncedSet]:
        """One converted message; returns the sets it completed.

        Calibration messages update the rig. A sensor message whose ``frame_id`` is not the one
        its calibration names is rejected (counted): its data would be placed wrongly.
        """
        if is_calibration(source):  # needs no clock: a latched /tf_static may come before it
            self._calibrate(source, data)
            return []
        self.started = now if self.started is None else self.started
        self._saw_frame(source, frame_id)
        expected = self.rig_sources.expected_frame(source)
        if frame_id and expected is not None and frame_id != expected:
            self.reject(source, f"frame_id {frame_id!r} is not the calibrated {expected!r}")
            return []
        if hasattr(data, "points"):  # a cloud: check its fields, keep its points
            self.inputs.cloud(source, data.missing, data.points)
            data = data.points
        self._observe(source, data, now)
        return self.synchronizer.push(source, stamp, data, now)

    def _observe(self, source: str, data, now: float) -> None:
        """The message's input statistics, labelled ``<sensor name> <statistic>``."""
        name = source.split("/", 1)[1]
        features = self.statistics(source, data)
        if features.get("change") == 0.0:
            self._unchanged_since.setdefault(source, now)
        else:
            self._unchanged_since.pop(source, None)
        labelled = {f"{name} {k}": v for k, v in features.items()}
        for modality in self.modalities_of(source):
            self._fresh_statistics.setdefault(modality, {}).update(labelled)

    def _calibrate(self, source: str, data) -> None:
        if isinstance(data, CameraIntrinsics):
            self.rig_sources.camera_info(source.removeprefix(CAMERA_INFO_PREFIX), data)
        else:
            self.rig_sources.transforms(data)
        self._refresh_rig()

    def _saw_frame(self, source: str, frame_id: str) -> None:
        if sensor_kind(source) != "camera":
            self.rig_sources.saw_frame(source, frame_id)
            self._refresh_rig()

    def _refresh_rig(self) -> None:
        rig = self.rig_sources.rig
        if rig is not self.rig:
            self.rig = rig
            try:
                self.attributor.adapter.check_rig(rig)
                self.rig_problem = None
            except ValueError as error:
                self.rig_problem = str(error)

    def reject(self, source: str, reason: str) -> None:
        """Count a message that could not be converted (reported on /diagnostics)."""
        self.rejected[(source, reason)] += 1

    def frame(self, synced: SyncedSet, rig: Rig) -> SensorFrame:
        """The set as the model sees it: images of the calibrated cameras; per kind one cloud,
        the sensors' clouds merged into the frame of the kind's first sensor, ego crop applied.
        A sensor without calibration is left out."""
        calibrated = {c.name for c in rig.cameras}
        images = {name: data for source, data in synced.messages.items()
                  if source.startswith(CAMERA_PREFIX)
                  and (name := source.removeprefix(CAMERA_PREFIX)) in calibrated}
        clouds = {kind: merge_clouds(
            {source.split("/", 1)[1]: data for source, data in synced.messages.items()
             if source.startswith(kind + "/")}, rig.range_sensors(kind), self.settings.ego_crop)
            for kind in ("radar", "lidar")}
        return SensorFrame(stamp=synced.stamp, images=images, radar=clouds["radar"],
                           lidar=clouds["lidar"])

    def prepare(self, synced: SyncedSet) -> tuple[SensorFrame, Rig]:
        """The set as a frame and the rig it was calibrated with: what the model needs (for a
        model in another process, too); ValueError when the model cannot run on the rig."""
        rig, problem = self.rig, self.rig_problem
        if problem is not None:
            raise ValueError(f"the model cannot run on the calibrated rig: {problem}")
        return self.frame(synced, rig), rig

    def analyse(self, synced: SyncedSet) -> FrameAttribution:
        """Model + decomposition of one set, in this process (the heavy part)."""
        return self.attributor(*self.prepare(synced))

    def record(self, attribution: FrameAttribution, now: float) -> FrameRecord:
        """Feed a finished attribution to the alarms; ``now`` is when its result exists."""
        self.processed += 1
        self.dropped_detections += attribution.dropped
        self.frames_with_decomposition_warnings += bool(attribution.notes)
        self.last_decomposition_warning = (attribution.notes[-1] if attribution.notes
                                           else self.last_decomposition_warning)
        latency = now - attribution.stamp
        self.latency_s = latency
        self.single_sensor_detections = attribution.single_sensor_detections()
        self.watchdog.processed(now, attribution.present)
        # a modality absent from the set is the silence alarm's to report: its zero share would
        # only drag the share alarm down and keep it raised after the sensor is back
        shares = {m: share if attribution.present.get(m, True) else None
                  for m, share in (attribution.frame_shares()
                                   or dict.fromkeys(self.modalities)).items()}
        consistency = {} if self.consistency is None or attribution.evidence is None else {
            m: signals.labelled()
            for m, signals in self.consistency.update(attribution.evidence).items()}
        return FrameRecord(attribution, self._update_alarms(now, shares, consistency), latency)

    def frame_failed(self, reason: str) -> None:
        """A set the model could not analyse: counted per reason, shown by the watchdog."""
        self.reject("frame", reason)
        self.watchdog.failed(reason)

    def tick(self, now: float) -> tuple[list[SyncedSet], list[AlarmEvent]]:
        """Periodic: flush sets a stale source was holding back, and check for silence."""
        self.started = now if self.started is None else self.started
        sets = self.synchronizer.poll(now)
        return sets, self._update_alarms(now, dict.fromkeys(self.modalities))

    def _update_alarms(self, now: float, shares: dict[str, float | None],
                       consistency: dict[str, dict[str, float]] | None = None,
                       ) -> list[AlarmEvent]:
        ages = self.ages(now)
        alive = [m for m, age in ages.items()
                 if age is not None and age <= self.settings.silent_after_s]
        self.watchdog.observe(now, alive)
        update = AlarmUpdate(now, shares, ages, self.faults(now), self._fresh_statistics,
                             consistency or {})
        self._fresh_statistics = {}
        if self.alarm_log is not None:
            self.alarm_log.append(update)
        return self.alarms.feed(update)

    def faults(self, now: float) -> dict[str, InputFault]:
        """Per modality: sources whose stamps cannot be matched (ERROR when all of its sources
        are affected, WARN when some are), else cameras whose images stopped changing (WARN:
        their data still flows into the model, and the share says how much it relies on it),
        else what the output watchdog finds."""
        faults = self.watchdog.faults(now)
        unusable = self.synchronizer.unusable(now)
        frozen = [source for source, since in self._unchanged_since.items()
                  if now - since > self.settings.stale_after]
        for modality in self.modalities:
            sources = self.sources_of(modality)
            bad = [s for s in sources if s in unusable]
            if bad:
                reason = unusable[bad[0]] if sources == (bad[0],) else "; ".join(
                    f"{s}: {unusable[s]}" for s in bad)
                faults[modality] = InputFault(
                    Level.ERROR if len(bad) == len(sources) else Level.WARN, reason)
            elif stuck := [s for s in sources if s in frozen]:
                since = min(self._unchanged_since[s] for s in stuck)
                faults[modality] = InputFault(Level.WARN, (
                    f"{', '.join(stuck)}: image unchanged for {now - since:.2f} s (frozen)"))
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

    def sources_of(self, modality: str) -> tuple[str, ...]:
        """The sources feeding a modality."""
        return tuple(s for s in self.sources if sensor_kind(s) in self.feeds[modality])
