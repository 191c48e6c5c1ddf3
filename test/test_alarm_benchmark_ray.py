"""The alarm campaign on a real two-node Ray cluster on this machine gives the serial run's traces
and scores, with drives on both nodes.

Each node is a ``ray start --block`` process of its own, on free ports and a temp dir of its
own, and is stopped by signalling that process (never ``ray stop``, which stops every Ray on a
shared machine)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pytest

from lmd_ros.benchmarks.alarm_methods import Timing, evaluate_method, lmd_spreads, methods
from lmd_ros.benchmarks.campaign import campaign
from lmd_ros.benchmarks.drive_runs import run_drives
from lmd_ros.monitor.core import alarm_config
from lmd_ros.monitor.settings import MonitorSettings

ray = pytest.importorskip("ray")

RAY = Path(sys.executable).with_name("ray")
REPO = Path(__file__).resolve().parents[1]
SETTINGS = MonitorSettings(warmup_frames=5)
SPECS = campaign(seconds=2.0, kinds=("lidar_silent",), clean=1, conditions=("day",))
START_TIMEOUT_S = 60.0
NO_TOKEN = {"RAY_AUTH_MODE": "disabled"}
"""Nodes and driver alike: a local `ray.init()` elsewhere (test_bag_ray) leaves a token in
~/.ray that would otherwise switch later clusters to token authentication."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_node(folder: Path, name: str, *options: str) -> subprocess.Popen:
    env = {**os.environ, "RAY_TMPDIR": str(folder), **NO_TOKEN,
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen(
        [str(RAY), "start", "--block", "--num-cpus=1", "--disable-usage-stats",
         "--node-ip-address=127.0.0.1", f"--dashboard-agent-listen-port={free_port()}",
         f"--metrics-export-port={free_port()}", f"--runtime-env-agent-port={free_port()}",
         *options], env=env, start_new_session=True,
        stdout=(folder / f"{name}.log").open("w"), stderr=subprocess.STDOUT)


def wait_until(ready, what: str, nodes: list[subprocess.Popen], folder: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not ready():
        logs = "\n".join(p.read_text()[-2000:] for p in folder.glob("*.log"))
        assert all(n.poll() is None for n in nodes), f"a Ray node exited:\n{logs}"
        assert time.monotonic() < deadline, f"no {what} after {START_TIMEOUT_S:g} s:\n{logs}"
        time.sleep(0.2)


def accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


@pytest.fixture
def cluster(monkeypatch):
    """The address of a head node and a worker node of one CPU each."""
    for name, value in NO_TOKEN.items():
        monkeypatch.setenv(name, value)
    folder = Path(tempfile.mkdtemp(prefix="lmdray"))  # short: Ray's socket paths are limited
    port = free_port()
    nodes = [start_node(folder, "head", "--head", f"--port={port}", f"--temp-dir={folder}",
                        "--include-dashboard=false", f"--dashboard-port={free_port()}")]
    try:
        wait_until(lambda: accepts(port), "head node", nodes, folder)
        nodes.append(start_node(folder, "worker", f"--address=127.0.0.1:{port}"))
        ray.init(address=f"127.0.0.1:{port}", logging_level="ERROR")
        try:
            wait_until(lambda: sum(n["Alive"] for n in ray.nodes()) == 2, "second node", nodes,
                       folder)
        finally:
            ray.shutdown()
        yield f"127.0.0.1:{port}"
    finally:
        for node in reversed(nodes):
            node.send_signal(signal.SIGTERM)
        for node in reversed(nodes):
            try:
                node.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(node.pid, signal.SIGKILL)
                node.wait()
        shutil.rmtree(folder, ignore_errors=True)


def scores(traces):
    timing = Timing(1.5, SETTINGS.hold_s, SETTINGS.clear_s)
    tune = [t for t in traces if t.spec.split == "tune"]
    evaluate = [t for t in traces if t.spec.split == "eval"]
    config = alarm_config(SETTINGS, tune[0].modalities, {})
    return [(m.operating, evaluate_method(m, evaluate, timing).summary)
            for m in methods(tune, timing, replace(config, spreads=lmd_spreads(tune, config)))]


def test_ray_drives_run_on_both_nodes_and_score_as_the_serial_run(cluster):
    assert [s.split for s in SPECS] == ["tune", "eval", "eval"]
    spread = run_drives(SPECS, SETTINGS, ray_address=cluster, report=lambda _: None)
    serial = run_drives(SPECS, SETTINGS, report=lambda _: None)
    assert len({t.worker for t in spread}) == 2  # Ray node ids
    assert [replace(t, worker="", wall_s=0.0) for t in spread] == \
        [replace(t, worker="", wall_s=0.0) for t in serial]
    assert scores(spread) == scores(serial)
