"""One synthetic drive through the product's monitor, kept as a compact trace to score alarms on.

Frame i of the drive is stamped i / rate and arrives at that stamp; its sensor data goes into a
`MonitorCore` built from the settings exactly as the bag analysis feeds one (`Replay`: periodic
ticks, ingest, every completed set analysed and recorded), in the order the simulator publishes
it, with the data as the ROS conversions would give it. The trace keeps what every alarm method
needs and no image: per message its source, stamp, arrival and input statistics; per analysed
frame its detections and shares; the product's alarm spans; and, where the core can log them
(`MonitorCore.alarm_log`), the alarm updates, so LMD thresholds can be re-scored without the
model.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from lmd_ros.bag.replay import Replay
from lmd_ros.benchmarks.campaign import DriveSpec
from lmd_ros.monitor.alarms import AlarmConfig, AlarmEvent, AlarmSpan
from lmd_ros.monitor.assembly import build_core
from lmd_ros.monitor.core import CAMERA_PREFIX, FrameRecord, MonitorCore
from lmd_ros.monitor.settings import MonitorSettings
from lmd_ros.monitor.synchronizer import SyncedSet
from lmd_ros.ros.inputs import CloudReading
from lmd_ros.sensors import Rig, SensorFrame
from lmd_ros.world import Drive


@dataclass(frozen=True)
class MessageTrace:
    """One sensor message: where from, its stamp, when it arrived, its input statistics."""

    source: str
    stamp: float
    arrival: float
    features: dict[str, float]


@dataclass(frozen=True)
class FrameTrace:
    """One analysed frame: its stamp, when its result existed, its detections and per-modality
    shares (None without detections)."""

    stamp: float
    time: float
    detections: int
    shares: dict[str, float] | None


@dataclass(frozen=True)
class DriveTrace:
    """What one drive gave; ``feeds`` maps each source to the modalities it feeds, ``worker``
    says where it ran (host:pid, or the Ray node)."""

    spec: DriveSpec
    modalities: tuple[str, ...]
    feeds: dict[str, tuple[str, ...]]
    alarm_config: AlarmConfig
    messages: tuple[MessageTrace, ...]
    frames: tuple[FrameTrace, ...]
    alarms: tuple[AlarmSpan, ...]
    alarm_log: tuple[Any, ...] | None
    worker: str
    wall_s: float


class _FrameLog:
    """A `Replay` sink keeping each analysed frame's detections and shares."""

    def __init__(self) -> None:
        self.frames: list[FrameTrace] = []

    def frame(self, record: FrameRecord, synced: SyncedSet, now: float) -> None:
        attribution = record.attribution
        self.frames.append(FrameTrace(attribution.stamp, now, len(attribution.detections),
                                      attribution.frame_shares()))

    def tick(self, now: float, events: list[AlarmEvent]) -> None:
        pass


def sensor_data(frame: SensorFrame, rig: Rig) -> list[tuple[str, Any, str]]:
    """(source, converted data, frame id) of every sensor with data in ``frame``, in the order
    `frame_messages` publishes them; clouds as `InputStream.read` converts them."""
    data: list[tuple[str, Any, str]] = [(CAMERA_PREFIX + name, image, rig.camera(name).frame_id)
                                        for name, image in frame.images.items()]
    for kind, sensor, points in (("radar", rig.radar, frame.radar),
                                 ("lidar", rig.lidar, frame.lidar)):
        if points is not None:
            data.append((f"{kind}/{sensor.name}", CloudReading(points, (), 0), sensor.frame_id))
    return data


def run_drive(spec: DriveSpec, settings: MonitorSettings) -> DriveTrace:
    """Render ``spec`` and run the monitor built from ``settings`` over it."""
    started = time.monotonic()
    core = build_core(settings)
    _log_alarm_updates(core)
    drive = Drive(spec.seed, spec.world(), faults=() if spec.fault is None else (spec.fault,))
    frames = _FrameLog()
    replay = Replay(core, [frames])
    messages = []
    for i in range(len(drive)):
        frame, _ = drive.frame(i)
        for source, data, frame_id in sensor_data(frame, drive.rig):
            replay.ingest(source, frame.stamp, data, frame.stamp, frame_id)
            messages.append(MessageTrace(source, frame.stamp, frame.stamp,
                                         core.statistics.latest[source]))
    log = getattr(core, "alarm_log", None)
    return DriveTrace(
        spec=spec, modalities=core.modalities,
        feeds={source: core.modalities_of(source) for source in core.sources},
        alarm_config=core.alarms.config, messages=tuple(messages), frames=tuple(frames.frames),
        alarms=tuple(core.alarms.timeline()), alarm_log=None if log is None else tuple(log),
        worker=f"{socket.gethostname()}:{os.getpid()}", wall_s=time.monotonic() - started)


def _log_alarm_updates(core: MonitorCore) -> None:
    """Have the core log every alarm update it makes, where it can (`MonitorCore.alarm_log`)."""
    if hasattr(core, "alarm_log"):
        core.alarm_log = []
