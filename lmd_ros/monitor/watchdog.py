"""A watchdog on the monitor's own output: live sensors but no analysed frames is a fault.

Every per-sensor alarm is computed from processed frames; when frames stop (the adapter raises
on every set, one camera has the wrong size, the synchroniser starves, the worker is stuck) the
sensor statuses would keep their last, healthy values. The watchdog turns that silence of the
monitor itself into an ERROR on the pipeline status, and a modality that is live but absent from
every frame processed within ``limit_s`` cannot stay OK either.

Before the first frame ever completes (the model loads and warms up) the pipeline is WARN, not
ERROR, for up to ``startup_s``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from lmd_ros.monitor.alarms import InputFault, Level


class OutputWatchdog:
    """Tracks when frames were processed, which modalities they held, and the last failure."""

    def __init__(self, modalities: Sequence[str], limit_s: float, startup_s: float = 30.0) -> None:
        self.limit_s = limit_s
        self.startup_s = startup_s
        self.last_failure: str | None = None
        self._last_frame: float | None = None
        self._alive_since: dict[str, float | None] = dict.fromkeys(modalities)
        self._present_at: dict[str, float | None] = dict.fromkeys(modalities)
        self._any_outcome = False

    def processed(self, now: float, present: Mapping[str, bool]) -> None:
        """A frame was analysed at ``now``; ``present``: which modalities it held."""
        self._last_frame, self._any_outcome = now, True
        for modality, held in present.items():
            if held and modality in self._present_at:
                self._present_at[modality] = now

    def failed(self, reason: str) -> None:
        """A set could not be analysed (the reason is shown with a stall)."""
        self.last_failure, self._any_outcome = reason, True

    def observe(self, now: float, alive: Iterable[str]) -> None:
        """Which modalities have live sensors now: their clocks run only while they do."""
        alive = set(alive)
        for modality, since in self._alive_since.items():
            if modality not in alive:
                self._alive_since[modality] = None
            elif since is None:
                self._alive_since[modality] = now

    def stalled_for(self, now: float) -> float | None:
        """Seconds without a processed frame while sensors are live (None: nothing to process)."""
        live = [since for since in self._alive_since.values() if since is not None]
        if not live:
            return None
        return now - max(min(live), self._last_frame or min(live))

    def pipeline(self, now: float) -> tuple[Level, str]:
        """The pipeline's own level and why."""
        stalled = self.stalled_for(now)
        if stalled is None or stalled <= self.limit_s:
            return Level.OK, "running"
        if not self._any_outcome and stalled <= self.startup_s:
            return Level.WARN, f"waiting for the first frame for {stalled:.1f} s"
        failure = f"; last failure: {self.last_failure}" if self.last_failure else ""
        return Level.ERROR, (f"no frame processed for {stalled:.1f} s while sensors are "
                             f"sending{failure}")

    def faults(self, now: float) -> dict[str, InputFault]:
        """Live modalities the processed frames do not show: WARN while nothing is processed
        (the pipeline is ERROR), ERROR when frames are processed without them."""
        stalled = self.stalled_for(now)
        live = {m: since for m, since in self._alive_since.items() if since is not None}
        if stalled is None:
            return {}
        if self.pipeline(now)[0] == Level.ERROR:
            return {m: InputFault(Level.WARN, f"not analysed: no frame processed for "
                                              f"{stalled:.1f} s") for m in live}
        faults = {}
        for modality, alive_since in live.items():
            since = max(alive_since, self._present_at[modality] or alive_since)
            frames_since = self._last_frame is not None and self._last_frame > since
            if frames_since and now - since > self.limit_s:
                faults[modality] = InputFault(
                    Level.ERROR, f"absent from every frame processed for {now - since:.1f} s")
        return faults
