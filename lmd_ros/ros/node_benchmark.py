"""`lmd_benchmark node`: end-to-end latency and sustained rate of the live monitor.

For each requested sensor rate a synthetic drive is recorded into a bag first (rendering is
slower than real time on a small CPU), then played into the real node over DDS at real time
with `lmd_play_bag` (the node on bag time, ``use_sim_time``). A listener counts the sensor
messages that actually arrived (the achieved input rate) and the ``~/detections`` messages the
node published (the processed rate), and measures stamp → arrival latency on the bag clock.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import rclpy
import yaml
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import PointCloud2

from lmd_ros.bag.make_bag import make_bag
from lmd_ros.monitor.settings import NODE_NAME, MonitorSettings
from lmd_ros.ros.conversions import stamp_to_seconds

INPUT_TOPIC = MonitorSettings().lidar_topics[0]
"""The sensor whose arrivals stand for the input rate (every sensor publishes once a frame)."""


class _Arrivals(Node):
    """On bag time: arrival wall times of inputs and outputs, output latency on the bag clock."""

    def __init__(self) -> None:
        super().__init__("lmd_benchmark_listener",
                         parameter_overrides=[Parameter("use_sim_time", value=True)])
        self.inputs: list[float] = []
        self.outputs: list[float] = []
        self.latencies: list[float] = []
        self.create_subscription(PointCloud2, INPUT_TOPIC,
                                 lambda _: self.inputs.append(time.monotonic()),
                                 qos_profile_sensor_data)
        self.create_subscription(PointCloud2, f"/{NODE_NAME}/detections", self._on, 50)

    def _on(self, msg: PointCloud2) -> None:
        self.outputs.append(time.monotonic())
        now = self.get_clock().now().nanoseconds * 1e-9
        self.latencies.append(now - stamp_to_seconds(msg.header.stamp))


def _rate(arrivals: list[float]) -> float:
    return (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) if len(arrivals) > 1 else 0.0


def measure(rate_hz: float, seconds: float, device: str, workdir: Path) -> dict[str, float]:
    bag = workdir / f"drive_{rate_hz:g}hz"
    make_bag(bag, seconds, 0, [], "mcap", rate_hz)
    params = workdir / "monitor.yaml"
    params.write_text(yaml.safe_dump({NODE_NAME: {"ros__parameters": {
        "use_sim_time": True, "device": device}}}))
    listener = _Arrivals()
    monitor = subprocess.Popen([sys.executable, "-m", "lmd_ros.ros.monitor_node", "--ros-args",
                                "--params-file", str(params)], start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while listener.count_publishers(f"/{NODE_NAME}/detections") == 0:
            rclpy.spin_once(listener, timeout_sec=0.1)
        player = subprocess.Popen([sys.executable, "-m", "lmd_ros.bag.play", str(bag),
                                   "--wait-for-subscribers", "--delay", "2"],
                                  stderr=subprocess.DEVNULL)
        while player.poll() is None:
            rclpy.spin_once(listener, timeout_sec=0.02)
        ended = time.monotonic() + 2.0
        while time.monotonic() < ended:
            rclpy.spin_once(listener, timeout_sec=0.05)
    finally:
        os.killpg(monitor.pid, signal.SIGINT)
        monitor.wait(timeout=15)
    latencies = np.array(listener.latencies)
    row = {"rate_hz": rate_hz, "input_hz": _rate(listener.inputs),
           "inputs": len(listener.inputs), "processed_hz": _rate(listener.outputs)}
    listener.destroy_node()
    if len(latencies) < 2:
        raise RuntimeError("the monitor published fewer than two frames")
    return {**row, "fraction": row["processed_hz"] / row["input_hz"],
            "latency_p50_ms": 1e3 * float(np.median(latencies)),
            "latency_p95_ms": 1e3 * float(np.percentile(latencies, 95))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lmd_benchmark node", description=__doc__)
    parser.add_argument("--rates", default="5,10", help="sensor rates (Hz), comma-separated")
    parser.add_argument("--seconds", type=float, default=20.0, help="drive length per rate")
    parser.add_argument("--device", default="auto", help="monitor device parameter")
    args = parser.parse_args(argv)
    rclpy.init()
    with tempfile.TemporaryDirectory(prefix="lmd_benchmark_node_") as tmp:
        rows = [measure(float(r), args.seconds, args.device, Path(tmp))
                for r in args.rates.split(",")]
    rclpy.try_shutdown()
    print("| recorded rate (Hz) | input arrived (Hz) | processed (Hz) | processed / input "
          "| latency p50 (ms) | latency p95 (ms) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['rate_hz']:g} | {r['input_hz']:.1f} | {r['processed_hz']:.1f} "
              f"| {r['fraction']:.2f} | {r['latency_p50_ms']:.0f} | {r['latency_p95_ms']:.0f} |")
    for r in rows:
        if r["input_hz"] < 0.9 * r["rate_hz"]:
            print(f"warning: at {r['rate_hz']:g} Hz only {r['input_hz']:.1f} Hz of input arrived "
                  "(player or DDS on a loaded machine): the processed rate is bounded by it")
    return 0
