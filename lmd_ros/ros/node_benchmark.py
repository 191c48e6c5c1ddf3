"""`lmd_benchmark node`: end-to-end latency and sustained rate of the live monitor.

Plays the simulator at each requested sensor rate against the real node over DDS and measures,
per published ``~/detections`` message, stamp → arrival latency at a listener, and the
processed frames per second as a fraction of the sensor rate. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import rclpy
from rclpy.node import Node
from sensor_msgs.msg import PointCloud2

from lmd_ros.ros.conversions import stamp_to_seconds
from lmd_ros.ros.session import DriveScenario, SimulatedDrive


class _Arrivals(Node):
    def __init__(self) -> None:
        super().__init__("lmd_benchmark_listener")
        self.latencies: list[float] = []
        self.create_subscription(PointCloud2, "/lmd_monitor/detections", self._on, 50)

    def _on(self, msg: PointCloud2) -> None:
        self.latencies.append(time.time() - stamp_to_seconds(msg.header.stamp))


def measure(rate_hz: float, seconds: float, device: str) -> dict[str, float]:
    scenario = DriveScenario(duration_s=seconds, rate_hz=rate_hz, monitor={"device": device})
    listener = _Arrivals()
    with SimulatedDrive(scenario) as drive:
        while time.time() < drive.end + 1.0 and drive.running():
            rclpy.spin_once(listener, timeout_sec=0.05)
    latencies = np.array(listener.latencies)
    listener.destroy_node()
    if not len(latencies):
        raise RuntimeError("the monitor published nothing")
    processed_hz = len(latencies) / seconds
    return {
        "rate_hz": rate_hz,
        "processed_hz": processed_hz,
        "fraction": processed_hz / rate_hz,
        "latency_p50_ms": 1e3 * float(np.median(latencies)),
        "latency_p95_ms": 1e3 * float(np.percentile(latencies, 95)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lmd_benchmark node", description=__doc__)
    parser.add_argument("--rates", default="5,10", help="sensor rates (Hz), comma-separated")
    parser.add_argument("--seconds", type=float, default=20.0, help="drive length per rate")
    parser.add_argument("--device", default="auto", help="monitor device parameter")
    args = parser.parse_args(argv)
    rclpy.init()
    rows = [measure(float(r), args.seconds, args.device) for r in args.rates.split(",")]
    rclpy.try_shutdown()
    print("| sensor rate (Hz) | processed (Hz) | processed / sensor | latency p50 (ms) "
          "| latency p95 (ms) |")
    print("|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['rate_hz']:.0f} | {r['processed_hz']:.1f} | {r['fraction']:.2f} "
              f"| {r['latency_p50_ms']:.0f} | {r['latency_p95_ms']:.0f} |")
    best = rows[0]
    print(f"node: {best['processed_hz']:.1f} frames/s at {best['rate_hz']:.0f} Hz sensors, "
          f"latency p50 = {best['latency_p50_ms']:.0f} ms")
    return 0
