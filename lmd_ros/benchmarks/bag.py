"""`lmd_benchmark bag`: how fast the bag analysis runs, against the live node and with Ray.

On one synthetic drive: offline frames/s (`lmd_analyze_bag`, every set analysed) against the
frames/s the live node publishes while the same bag is played into it faster than it can keep
up (it skips sets, so this is its capacity), both on one torch thread. Then the same analysis
over several bags on a local Ray cluster with 1 and 2 workers. Prints a Markdown table with the
ratios.
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

import rclpy
import yaml
from rclpy.node import Node
from sensor_msgs.msg import PointCloud2

from lmd_ros.bag.analysis import AnalysisOptions, analyse_bag
from lmd_ros.bag.fleet import output_folders, run_ray
from lmd_ros.bag.make_bag import make_bag
from lmd_ros.monitor.settings import NODE_NAME


class _Count(Node):
    def __init__(self) -> None:
        super().__init__("lmd_benchmark_bag_listener")
        self.arrivals: list[float] = []
        self.create_subscription(PointCloud2, f"/{NODE_NAME}/detections",
                                 lambda _: self.arrivals.append(time.monotonic()), 100)


def live_rate(bag: Path, checkpoint: Path | None, rate: float, threads: int,
              workdir: Path) -> float:
    """Frames/s the node publishes while ``bag`` plays at ``rate`` x real time (its torch
    threads set like the offline run's, through OMP_NUM_THREADS)."""
    params = workdir / "node.yaml"
    values = {"use_sim_time": True, "qos_depth": 50}
    params.write_text(yaml.safe_dump({NODE_NAME: {"ros__parameters": {
        **values, **({"checkpoint": str(checkpoint)} if checkpoint else {})}}}))
    counter = _Count()
    node = subprocess.Popen([sys.executable, "-m", "lmd_ros.ros.monitor_node", "--ros-args",
                             "--params-file", str(params)], start_new_session=True,
                            env={**os.environ, "OMP_NUM_THREADS": str(threads)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while counter.count_publishers(f"/{NODE_NAME}/detections") == 0:
            rclpy.spin_once(counter, timeout_sec=0.1)
        player = subprocess.Popen([sys.executable, "-m", "lmd_ros.bag.play", str(bag),
                                   "--rate", str(rate), "--wait-for-subscribers"],
                                  stderr=subprocess.DEVNULL)
        while player.poll() is None:
            rclpy.spin_once(counter, timeout_sec=0.05)
        ended = time.monotonic() + 2.0
        while time.monotonic() < ended:
            rclpy.spin_once(counter, timeout_sec=0.05)
    finally:
        os.killpg(node.pid, signal.SIGINT)
        node.wait(timeout=15)
    arrivals = counter.arrivals
    counter.destroy_node()
    if len(arrivals) < 2:
        raise RuntimeError("the node published fewer than two frames")
    return (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lmd_benchmark bag", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each drive")
    parser.add_argument("--bags", type=int, default=4, help="drives for the Ray runs")
    parser.add_argument("--rate", type=float, default=2.0,
                        help="playback speed into the live node (above what it keeps up with)")
    parser.add_argument("--checkpoint", type=Path, help="model (default: the shipped one)")
    args = parser.parse_args(argv)
    options = AnalysisOptions(checkpoint=args.checkpoint)
    with tempfile.TemporaryDirectory(prefix="lmd_benchmark_bag_") as tmp:
        workdir = Path(tmp)
        bags = [workdir / f"drive_{seed}" for seed in range(args.bags)]
        for seed, bag in enumerate(bags):
            make_bag(bag, args.seconds, seed, [])
        summary = analyse_bag(bags[0], workdir / "serial", options)
        frames, offline = summary["frames"], summary["frames_per_s"]
        rclpy.init()
        try:
            live = live_rate(bags[0], args.checkpoint, args.rate, options.threads, workdir)
        finally:
            rclpy.try_shutdown()
        rows = [("offline, serial", "1 process", frames, offline, offline / live),
                ("live node (skips sets)", "1 process", None, live, 1.0)]
        ray_rates = {}
        for cpus in (1, 2):
            outs = output_folders(bags, workdir / f"ray{cpus}")
            started = time.monotonic()
            summaries = run_ray("local", bags, outs, options, report=lambda _: None,
                                local_cpus=cpus)
            total = sum(s["frames"] for s in summaries)
            ray_rates[cpus] = total / (time.monotonic() - started)
            rows.append((f"Ray local, {len(bags)} bags", f"{cpus} worker(s)", total,
                         ray_rates[cpus], ray_rates[cpus] / live))
    print(f"\n{len(bags)} synthetic drives of {args.seconds:g} s at 10 Hz, "
          f"{os.cpu_count()} CPU cores\n")
    print("| run | workers | frames | frames/s | vs live node |")
    print("|---|---|---:|---:|---:|")
    for name, workers, count, rate, ratio in rows:
        print(f"| {name} | {workers} | {'' if count is None else count} | {rate:.2f} "
              f"| {ratio:.2f}x |")
    print(f"\nRay scaling 1 -> 2 workers: {ray_rates[2] / ray_rates[1]:.2f}x. Offline and live "
          f"rates exclude start-up, Ray rates include it; {options.threads} torch thread(s) per "
          "process everywhere.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
