"""What the monitor saw when an alarm rose: BEV contributions and the camera overlay.

At each onset (a sensor leaving OK) the frame at that moment, or the last one before it for
alarms raised by a tick (silence), is rendered. Only the first ``limit`` onsets are kept, so a
flapping alarm cannot blow up the report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lmd_ros.monitor.alarms import AlarmEvent, Level
from lmd_ros.monitor.bev_picture import bev_picture
from lmd_ros.monitor.core import FrameRecord, MonitorCore
from lmd_ros.monitor.render import overlay_picture
from lmd_ros.monitor.synchronizer import SyncedSet


@dataclass(frozen=True)
class Snapshot:
    event: AlarmEvent
    frame_stamp: float
    bev: np.ndarray
    overlay: tuple[str, np.ndarray] | None


class AlarmSnapshots:
    """A replay sink; ``snapshots`` in onset order, ``omitted`` counts those past the limit."""

    def __init__(self, core: MonitorCore, limit: int = 24) -> None:
        self.core = core
        self.limit = limit
        self.snapshots: list[Snapshot] = []
        self.omitted = 0
        self._last: tuple[FrameRecord, SyncedSet] | None = None

    def frame(self, record: FrameRecord, synced: SyncedSet, now: float) -> None:
        self._last = (record, synced)
        self._capture(record.events)

    def tick(self, now: float, events: list[AlarmEvent]) -> None:
        self._capture(events)

    def _capture(self, events: list[AlarmEvent]) -> None:
        for event in events:
            if event.old != Level.OK or self._last is None:
                continue
            if len(self.snapshots) >= self.limit:
                self.omitted += 1
                continue
            record, synced = self._last
            result = record.attribution
            self.snapshots.append(Snapshot(
                event, result.stamp,
                None if result.evidence is None else bev_picture(
                    result, self.core.attributor.adapter.bev_grid, self.core.class_names),
                overlay_picture(self.core.rig, record, synced)))
