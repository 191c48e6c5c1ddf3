"""The sensor simulator delivers the rate it announces and stops cleanly on SIGINT."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from rclpy.qos import qos_profile_sensor_data
from ros_testing import ros_node, spin_until
from sensor_msgs.msg import PointCloud2

RATE_HZ = 10.0
SECONDS = 4.0


def _start_sim(tmp_path, duration_s: float) -> tuple[subprocess.Popen, object]:
    ready = tmp_path / "ready"
    log = (tmp_path / "sim.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "lmd_ros.ros.sensor_sim_node", "--ros-args",
         "-p", f"rate_hz:={RATE_HZ}", "-p", f"duration_s:={duration_s}",
         "-p", f"start_stamp:={time.time() + 3.0}", "-p", f"ready_file:={ready}"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    return process, log


def _log_text(log) -> str:
    log.flush()
    log.seek(0)
    return log.read()


def test_simulator_publishes_at_the_announced_rate(tmp_path):
    arrivals: list[float] = []
    with ros_node("lmd_test_rate") as (node, executor):
        node.create_subscription(PointCloud2, "/lidar/points",
                                 lambda _: arrivals.append(time.monotonic()),
                                 qos_profile_sensor_data)
        process, log = _start_sim(tmp_path, SECONDS)
        try:
            spin_until(executor, lambda: process.poll() is not None, timeout_s=300)
            spin_until(executor, lambda: False, timeout_s=0.5)  # the last frames in flight
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=10)
    text = _log_text(log)
    assert process.returncode == 0, text
    frames = round(RATE_HZ * SECONDS)
    assert f"published {frames} of {frames} frames" in text, text
    assert len(arrivals) >= 0.9 * frames, f"{len(arrivals)} of {frames} frames arrived\n{text}"
    span = arrivals[-1] - arrivals[0]
    assert abs(span - (len(arrivals) - 1) / RATE_HZ) < 1.0, f"{len(arrivals)} frames over {span} s"


def test_simulator_stops_cleanly_within_two_seconds_of_sigint(tmp_path):
    with ros_node("lmd_test_sigint") as (node, executor):
        seen: list[int] = []
        node.create_subscription(PointCloud2, "/lidar/points", lambda _: seen.append(1),
                                 qos_profile_sensor_data)
        process, log = _start_sim(tmp_path, 10.0)
        try:
            assert spin_until(executor, lambda: bool(seen) or process.poll() is not None, 300)
            os.killpg(process.pid, signal.SIGINT)
            signalled = time.monotonic()
            code = process.wait(timeout=10)
            stopped_s = time.monotonic() - signalled
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    text = _log_text(log)
    assert code == 0, text
    assert stopped_s < 2.0, f"took {stopped_s:.1f} s to stop\n{text}"
    assert not [line for line in text.splitlines()
                if "Error" in line or "Traceback" in line or "[ERROR]" in line], text
