"""The model + decomposition in a child process, so they can never starve the node's own work.

A worker thread in the node still holds the GIL for most of a frame's decomposition (thousands
of small Python-level ops); arrival tracking, synchronisation and the diagnostics timer then
wait, and a sensor that is publishing looks silent. In a child process the heavy part holds
only its own interpreter: the node's thread blocks on a pipe (no GIL held) while it waits.

The child is started with the 'spawn' method (a fresh interpreter: forking a process with live
DDS threads is unsafe), builds the adapter from the settings itself, and answers one
``(SensorFrame, Rig, detection limits)`` with one ``FrameAttribution`` (the limits travel with
each frame, so ``ros2 param set score_threshold`` reaches the child). A frame that fails in
the model comes back as `FrameFailed` with the exception's text; a child that dies is
reported as `AnalysisDied` and started again for the next frame. The child ignores SIGINT
(Ctrl-C reaches the whole process group): the parent stops it when the node is destroyed.
"""

from __future__ import annotations

import multiprocessing
import signal
from multiprocessing.connection import Connection
from typing import Any

from lmd_ros.monitor.attribution import FrameAttribution
from lmd_ros.monitor.settings import MonitorSettings
from lmd_ros.sensors import Rig, SensorFrame

START_TIMEOUT_S = 300.0
"""How long the child may take to import torch and load the model (a loaded machine, a GPU)."""


class FrameFailed(Exception):
    """The model raised on this frame; the text is the child's `failure_reason`."""


class AnalysisDied(Exception):
    """The child process exited or could not start; it is restarted for the next frame."""


def _serve(connection: Connection, settings: MonitorSettings) -> None:
    """The child's loop: build the attributor, then answer frames until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import torch

    from lmd_ros.monitor.assembly import build_adapter
    from lmd_ros.monitor.attribution import Attributor
    from lmd_ros.monitor.core import failure_reason

    try:
        torch.set_num_threads(settings.torch_threads)
        attributor = Attributor(build_adapter(settings), settings.score_threshold,
                                settings.max_detections)
    except Exception as error:  # reported to the parent, which gives up on this child
        connection.send(("failed", failure_reason(error)))
        return
    connection.send(("ready", attributor.device))
    while True:
        try:
            request = connection.recv()
        except EOFError:
            return
        frame, rig, (attributor.score_threshold, attributor.max_detections) = request
        try:
            reply: tuple[str, Any] = ("ok", attributor(frame, rig))
        except Exception as error:  # one bad frame must not end the child
            reply = ("error", failure_reason(error))
        connection.send(reply)


class AnalysisProcess:
    """The parent's handle on the child; ``analyse`` is called from one thread at a time."""

    def __init__(self, settings: MonitorSettings) -> None:
        self.settings = settings
        self.restarts = 0
        """Children started after one died."""
        self._context = multiprocessing.get_context("spawn")
        self._connection: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._start()

    def _start(self) -> None:
        parent, child = self._context.Pipe()
        self._process = self._context.Process(
            target=_serve, args=(child, self.settings), name="lmd_analysis", daemon=True)
        # The child inherits a blocked SIGINT: Ctrl-C (sent to the whole process group) must
        # not interrupt it while it imports, before `_serve` ignores the signal for good.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            self._process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        child.close()
        self._connection = parent
        self._ready = False

    def _await_ready(self) -> None:
        if not self._connection.poll(START_TIMEOUT_S):
            raise self._died(f"did not start within {START_TIMEOUT_S:.0f} s")
        kind, detail = self._receive()
        if kind != "ready":
            raise self._died(f"could not build the model: {detail}")
        self._ready = True

    def analyse(self, frame: SensorFrame, rig: Rig,
                limits: tuple[float, int] | None = None) -> FrameAttribution:
        """One frame through the child, with (score_threshold, max_detections) (default: the
        settings'); raises FrameFailed or AnalysisDied."""
        limits = limits or (self.settings.score_threshold, self.settings.max_detections)
        if self._process is None:
            self.restarts += 1
            self._start()
        if not self._ready:
            self._await_ready()
        try:
            self._connection.send((frame, rig, limits))
        except (BrokenPipeError, OSError) as error:
            raise self._died(f"pipe closed ({error})") from None
        kind, detail = self._receive()
        if kind == "error":
            raise FrameFailed(detail)
        return detail

    def _receive(self) -> tuple[str, Any]:
        try:
            return self._connection.recv()
        except (EOFError, OSError):
            raise self._died("exited") from None

    def _died(self, why: str) -> AnalysisDied:
        """Forget the child (the next frame starts a new one) and say what happened."""
        process, self._process = self._process, None
        self._connection.close()
        process.join(timeout=1.0)
        if process.is_alive():
            process.kill()
            process.join()
        return AnalysisDied(f"analysis process {why} (exit code {process.exitcode}); "
                            "restarting it")

    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def close(self) -> None:
        """Stop the child at once (it holds no state worth keeping); a frame in flight then
        ends in AnalysisDied on the calling thread."""
        process = self._process
        if process is not None and process.is_alive():
            process.kill()
            process.join(timeout=2.0)
