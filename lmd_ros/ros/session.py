"""Run the real monitor node against the sensor simulator, as two processes over DDS.

Used by ``lmd_demo`` and by the node tests. Frame 0 of the drive plays at a wall-clock time
(``start``) that the simulator reports once it has rendered the drive (no earlier than
``start_delay_s`` after launch), so fault windows are known in absolute stamps: fault ``a:b``
covers ``start + a`` to ``start + b``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lmd_ros.monitor.settings import NODE_NAME, MonitorSettings


@dataclass(frozen=True)
class DriveScenario:
    """What to play and how the monitor is configured (overrides of ``config/monitor.yaml``)."""

    seed: int = 0
    duration_s: float = 40.0
    rate_hz: float = 10.0
    faults: tuple[str, ...] = ()
    monitor: dict[str, Any] = field(default_factory=dict)
    start_delay_s: float = 8.0
    """Time for the monitor to load its model and for DDS discovery before frame 0."""
    render_timeout_s: float = 600.0
    """How long the simulator may take to render the drive before playing it."""


def _typed_like_defaults(overrides: dict[str, Any]) -> dict[str, Any]:
    """ROS parameters are strictly typed: write 1 as 1.0 where the monitor expects a double."""
    defaults = MonitorSettings()
    return {
        name: float(value)
        if isinstance(getattr(defaults, name, None), float) and isinstance(value, int)
        else value
        for name, value in overrides.items()
    }


class SimulatedDrive:
    """Context manager owning the two processes; stops both with SIGINT to their groups."""

    def __init__(self, scenario: DriveScenario, log_dir: Path | None = None) -> None:
        self.scenario = scenario
        self.start = 0.0
        self._workdir = tempfile.TemporaryDirectory(prefix="lmd_drive_")
        self.log_dir = Path(log_dir or self._workdir.name)
        self._processes: dict[str, subprocess.Popen] = {}

    def __enter__(self) -> SimulatedDrive:
        s = self.scenario
        self.start = time.time() + s.start_delay_s
        params = {
            NODE_NAME: {"ros__parameters": _typed_like_defaults(s.monitor)},
            "lmd_sensor_sim": {"ros__parameters": {
                "seed": s.seed, "rate_hz": float(s.rate_hz), "duration_s": float(s.duration_s),
                "faults": list(s.faults) or [""], "start_stamp": self.start,
                "ready_file": str(self._ready_file),
            }},
        }
        params_file = Path(self._workdir.name) / "params.yaml"
        params_file.write_text(yaml.safe_dump(params))
        for name, module in (("monitor", "monitor_node"), ("sim", "sensor_sim_node")):
            log = (self.log_dir / f"{name}.log").open("w")
            self._processes[name] = subprocess.Popen(
                [sys.executable, "-m", f"lmd_ros.ros.{module}",
                 "--ros-args", "--params-file", str(params_file)],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                env=os.environ.copy(),
            )
        self.start = self._wait_until_rendered()
        return self

    @property
    def _ready_file(self) -> Path:
        return Path(self._workdir.name) / "sim_ready"

    def _wait_until_rendered(self) -> float:
        """Block until the simulator says when frame 0 plays; fail if it died or took too long."""
        deadline = time.monotonic() + self.scenario.render_timeout_s
        while not self._ready_file.is_file():
            if self._processes["sim"].poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the simulator did not start playing:\n{self.log('sim')}")
            time.sleep(0.1)
        return float(self._ready_file.read_text())

    @property
    def end(self) -> float:
        return self.start + self.scenario.duration_s

    def running(self) -> bool:
        return all(p.poll() is None for p in self._processes.values())

    def playing(self, grace_s: float = 0.5) -> bool:
        """While both processes run and the drive plays, plus ``grace_s`` for the results of the
        last frames. Not longer: after the drive every sensor falls silent and the monitor
        rightly raises silence alarms, which belong to no scenario."""
        return time.time() < self.end + grace_s and self.running()

    def pid(self, name: str) -> int:
        return self._processes[name].pid

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text()

    def stop_one(self, name: str) -> int:
        """SIGINT to one process group, then wait (SIGKILL after 15 s); its exit code."""
        process = self._processes[name]
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
        try:
            return process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            return process.wait()

    def stop(self) -> dict[str, int]:
        """SIGINT to each process group, then wait; returns the exit codes."""
        return {name: self.stop_one(name) for name in self._processes}

    def __exit__(self, *exc_info) -> None:
        self.stop()
        self._workdir.cleanup()
