"""The annotated bag: the monitor's output topics as the node would have published them.

Per analysed frame ``/lmd_monitor/{detections,markers,bev_contributions,camera_overlay}``
stamped with the frame's stamp, and ``/diagnostics`` every ``diagnostics_period`` and at each
level change, all recorded at the bag time the node would publish them. Play it next to the
input bag (or merge both) to review a drive in RViz.
"""

from __future__ import annotations

from pathlib import Path

from lmd_ros.bag.writer import BagWriter
from lmd_ros.monitor.alarms import AlarmEvent
from lmd_ros.monitor.core import FrameRecord, MonitorCore
from lmd_ros.monitor.settings import NODE_NAME
from lmd_ros.monitor.synchronizer import SyncedSet
from lmd_ros.ros.conversions import seconds_to_stamp
from lmd_ros.ros.diagnostics import diagnostics_message
from lmd_ros.ros.outputs import frame_outputs

DIAGNOSTICS_TOPIC = "/diagnostics"


class AnnotatedBag:
    """A replay sink writing an mcap bag; a context manager around its `BagWriter`."""

    def __init__(self, path: Path, core: MonitorCore, distro: str = "kilted") -> None:
        self.core = core
        self._writer = BagWriter(path, "mcap", distro)
        self._rate_window: tuple[float, int] | None = None
        self._next_diagnostics: float | None = None

    def __enter__(self) -> AnnotatedBag:
        self._writer.__enter__()
        return self

    def __exit__(self, *exc_info) -> None:
        self._writer.__exit__(*exc_info)

    def frame(self, record: FrameRecord, synced: SyncedSet, now: float) -> None:
        for name, msg in frame_outputs(self.core, record, synced).items():
            self._writer.write(f"/{NODE_NAME}/{name}", msg, round(now * 1e9))
        if record.events:
            self._diagnostics(now)

    def tick(self, now: float, events: list[AlarmEvent]) -> None:
        if self._next_diagnostics is None:
            self._next_diagnostics = now + self.core.settings.diagnostics_period
        if events or now >= self._next_diagnostics:
            self._diagnostics(now)
        if now >= self._next_diagnostics:
            self._next_diagnostics = now + self.core.settings.diagnostics_period

    def _diagnostics(self, now: float) -> None:
        """As the node: the processing rate over the last full diagnostics period."""
        since, processed = self._rate_window or (now, self.core.processed)
        rate = (self.core.processed - processed) / (now - since) if now > since else None
        if self._rate_window is None or now - since >= self.core.settings.diagnostics_period:
            self._rate_window = (now, self.core.processed)
        message = diagnostics_message(self.core, seconds_to_stamp(now), rate)
        self._writer.write(DIAGNOSTICS_TOPIC, message, round(now * 1e9))
