"""`lmd_benchmark reliability`: does the live monitor tell silence from load, over a soak?

Plays the simulator against the real node over DDS beside ``--hogs`` busy-looping processes,
with the radar silenced for ``--gap`` s every ``--every`` s. Measures, from /diagnostics, the
time from each silence's start to the radar's ERROR and from its end to OK again; counts false
silence alarms ("no message for …" on a sensor that was publishing: the camera and LiDAR always
are, the radar outside its silences); samples the resident memory of the node and its analysis
process. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import rclpy

from lmd_ros.monitor.alarms import Level
from lmd_ros.ros.observer import MonitorObserver
from lmd_ros.ros.session import DriveScenario, SimulatedDrive


def _rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its children (the analysis process), in MB."""
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        pids += [int(c) for c in (task / "children").read_text().split()]
    total = 0.0
    for each in pids:
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    return total


def _silences(seconds: float, every: float, gap: float) -> list[tuple[float, float]]:
    return [(start, start + gap) for start in np.arange(every, seconds - gap - 5.0, every)]


def measure(seconds: float, every: float, gap: float, hogs: int) -> dict:
    windows = _silences(seconds, every, gap)
    scenario = DriveScenario(
        seed=2, duration_s=seconds, faults=tuple(f"radar_silent@{a:g}:{b:g}" for a, b in windows),
        monitor={"device": "cpu"})
    spinners = [subprocess.Popen([sys.executable, "-c", "while 1: pass"]) for _ in range(hogs)]
    observer = MonitorObserver()
    rss: list[float] = []
    try:
        with SimulatedDrive(scenario) as drive:
            while time.time() < drive.end and drive.running():
                rclpy.spin_once(observer, timeout_sec=0.05)
                if time.time() > drive.start + 5.0 and len(rss) < (time.time() - drive.start) / 5:
                    rss.append(_rss_mb(drive.pid("monitor")))
            start = drive.start
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
    levels = {sensor: [(t - start, level, message) for t, level, message in entries
                       if 0 < t - start < seconds]
              for sensor, entries in observer.observation.levels.items()}
    observer.destroy_node()
    to_error, to_ok = [], []
    for a, b in windows:
        radar = levels.get("radar", [])
        error = next((t for t, level, _ in radar if level == Level.ERROR and t >= a), None)
        ok = next((t for t, level, _ in radar if level == Level.OK and t >= b), None)
        if error is not None and error < b:
            to_error.append(error - a)
        if ok is not None:
            to_ok.append(ok - b)

    def in_window(t: float) -> bool:
        return any(a <= t <= b + 1.0 for a, b in windows)
    false = [(sensor, round(t, 1)) for sensor, entries in levels.items()
             for t, _, message in entries if message.startswith("no message for")
             and (sensor != "radar" or not in_window(t))]
    return {"windows": len(windows), "to_error": to_error, "to_ok": to_ok,
            "false": sorted(set(false)), "rss": rss}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lmd_benchmark reliability", description=__doc__)
    parser.add_argument("--seconds", type=float, default=180.0, help="soak length")
    parser.add_argument("--every", type=float, default=20.0, help="a radar silence every … s")
    parser.add_argument("--gap", type=float, default=5.0, help="length of each silence (s)")
    parser.add_argument("--hogs", type=int, default=2, help="busy-looping processes beside it")
    args = parser.parse_args(argv)
    rclpy.init()
    r = measure(args.seconds, args.every, args.gap, args.hogs)
    rclpy.try_shutdown()

    def span(values: list[float]) -> str:
        return f"{min(values):.2f}–{max(values):.2f}" if values else "n/a"
    rss = r["rss"]
    print(f"{args.seconds:.0f} s at 10 Hz beside {args.hogs} CPU hogs, radar silent "
          f"{args.gap:g} s every {args.every:g} s")
    print("| radar silences | silence → ERROR (s) | return → OK (s) | false silence alarms "
          "| RSS first / max / last (MB) |")
    print("|---:|---:|---:|---:|---:|")
    print(f"| {len(r['to_error'])}/{r['windows']} | {span(r['to_error'])} | {span(r['to_ok'])} "
          f"| {len(r['false'])} | "
          + (f"{rss[0]:.0f} / {max(rss):.0f} / {rss[-1]:.0f} |" if rss else "n/a |"))
    if r["false"]:
        print(f"false silence alarms (sensor, t): {r['false']}")
    return 0
