"""Driving a `MonitorCore` from bag messages exactly as the node's callbacks, timer and worker do.

Time is the bag's record time. Each message first lets the node's periodic tick run up to its
record time (flushing sets a silent sensor held back, raising silence alarms), then is converted
and synchronised; every completed set is analysed and recorded at once. Unlike the node nothing
is skipped for being busy, and a result exists the moment its set completes (latency 0).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

from lmd_ros.bag.reader import BagMessage
from lmd_ros.monitor.alarms import AlarmEvent
from lmd_ros.monitor.core import TICK_S, FrameRecord, MonitorCore, failure_reason
from lmd_ros.monitor.synchronizer import SyncedSet
from lmd_ros.ros.conversions import MalformedMessage


class Sink(Protocol):
    """Receives what the node would publish: analysed frames and periodic ticks."""

    def frame(self, record: FrameRecord, synced: SyncedSet, now: float) -> None: ...

    def tick(self, now: float, events: list[AlarmEvent]) -> None: ...


class Replay:
    """Feeds messages in record-time order; see the module docstring."""

    def __init__(self, core: MonitorCore, sinks: Sequence[Sink]) -> None:
        self.core = core
        self.sinks = tuple(sinks)
        self._tick_origin: float | None = None
        self._ticks = 0
        self._last_message = -math.inf
        self._quiet_after = max(core.settings.stale_after, core.settings.silent_after_s,
                                core.settings.diagnostics_period) + TICK_S
        """Past this long without messages ticks change nothing but the clock: skip them."""

    def feed(self, message: BagMessage) -> None:
        """A bag message, converted by its stream; a malformed one is counted, not ingested."""
        now = message.time_ns * 1e-9
        source = message.stream.source
        try:
            stamp, data, frame_id = message.stream.read(message.msg)
        except MalformedMessage as error:
            self._arrived(now)
            self.core.reject(source, error.category)
            return
        self.ingest(source, stamp, data, now, frame_id)

    def ingest(self, source: str, stamp: float, data, now: float, frame_id: str = "") -> None:
        """A message already converted (as `InputStream.read` gives it) arriving at ``now``:
        for data that never was a ROS message, such as a rendered synthetic drive."""
        self._arrived(now)
        self._analyse(self.core.ingest(source, stamp, data, now, frame_id), now)

    def _arrived(self, now: float) -> None:
        self._tick_until(now)
        self._last_message = now

    def _tick_until(self, now: float) -> None:
        if self._tick_origin is None:
            self._tick_origin = now
        while (tick := self._tick_origin + (self._ticks + 1) * TICK_S) <= now:
            sets, events = self.core.tick(tick)
            self._analyse(sets, tick)
            for sink in self.sinks:
                sink.tick(tick, events)
            self._ticks += 1
            if tick > self._last_message + self._quiet_after:
                self._ticks = max(self._ticks,
                                  math.floor((now - self._tick_origin) / TICK_S) - 1)

    def _analyse(self, sets: list[SyncedSet], now: float) -> None:
        for synced in sets:
            try:
                attribution = self.core.analyse(synced)
            except Exception as error:  # as in the node: a bad frame must not stop the run
                self.core.frame_failed(failure_reason(error))
                continue
            record = self.core.record(attribution, now)
            for sink in self.sinks:
                sink.frame(record, synced, now)
