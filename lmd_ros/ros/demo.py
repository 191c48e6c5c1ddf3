"""`make demo`: the monitor watches a simulated drive in which the LiDAR degrades mid-way.

Two real ROS 2 processes talk over DDS: the sensor simulator (`lmd_sensor_sim`) and the monitor
(`lmd_monitor`). This process listens like an engineer's console would, then prints the alarm
timeline and each sensor's share before, during and after the fault, and saves the overlays.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import rclpy
from PIL import Image

from lmd_ros.monitor.bev_picture import with_legend
from lmd_ros.ros.observer import MonitorObserver
from lmd_ros.ros.session import DriveScenario, SimulatedDrive
from lmd_ros.world import parse_fault

DEFAULT_FAULT = "lidar_dropout@12:22:0.995"
OVERLAY_SCALE = 4
"""The camera overlay is at the camera's resolution; saved 4x larger to be read."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lmd_demo", description=__doc__)
    parser.add_argument("--seed", type=int, default=1, help="world seed")
    parser.add_argument("--seconds", type=float, default=34.0, help="drive length")
    parser.add_argument("--fault", default=DEFAULT_FAULT,
                        help="fault as kind[@camera]@start:end[:severity]")
    parser.add_argument("--out", type=Path, default=Path("out/demo"), help="where to save pictures")
    args = parser.parse_args(argv)
    fault = parse_fault(args.fault)

    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    args.out.mkdir(parents=True, exist_ok=True)
    scenario = DriveScenario(
        seed=args.seed, duration_s=args.seconds, faults=(args.fault,),
        monitor={"warmup_frames": 15, "hold_s": 1.0, "clear_s": 2.0},
    )
    print(f"lmd_ros demo: {args.seconds:.0f} s drive, seed {args.seed}, fault {args.fault}")
    rclpy.init()
    observer = MonitorObserver()
    alarm_overlay = None
    with SimulatedDrive(scenario, log_dir=args.out) as drive:
        while drive.playing():
            rclpy.spin_once(observer, timeout_sec=0.1)
            if alarm_overlay is None and _alarm_raised(observer) and observer.observation.overlay \
                    is not None:
                alarm_overlay = observer.observation.overlay
        codes = drive.stop()
        monitor_log = drive.log("monitor")
    observation = observer.observation
    observer.destroy_node()
    rclpy.try_shutdown()
    if not observation.detections:
        print(f"the monitor published nothing (exit codes {codes}); its log:\n{monitor_log}")
        return 1
    _print_timeline(observation, drive.start)
    _print_shares(observation, drive.start, fault.start_s, fault.end_s)
    saved = []
    overlay = alarm_overlay if alarm_overlay is not None else observation.overlay
    modalities = _modalities(observation)
    for name, picture in (
        ("bev_contributions", observation.bev),
        ("camera_overlay", None if overlay is None else with_legend(
            overlay, modalities, ["box colour = modality mix, bar above a box = its shares"],
            scale=OVERLAY_SCALE)),
    ):
        if picture is not None:
            path = args.out / f"{name}.png"
            Image.fromarray(picture).save(path)
            saved.append(str(path))
    print(f"saved: {', '.join(saved)}; node logs in {args.out}")
    print(f"frames analysed: {len(observation.detections)}; monitor exit code {codes['monitor']}")
    return 0 if codes["monitor"] == 0 else 1


def _modalities(observation) -> list[str]:
    """The model's modalities, from the share fields of ``~/detections``."""
    fields = observation.detections[0].fields if observation.detections else ()
    return [f[2:] for f in fields if f.startswith("s_")]


def _alarm_raised(observer) -> bool:
    return any(level > 0 for history in observer.observation.levels.values()
               for _, level, _ in history[-1:])


def _print_timeline(observation, start: float) -> None:
    print("\nAlarm timeline (seconds from the start of the drive):")
    for sensor in sorted(observation.levels):
        for stamp, level, message in observation.level_changes(sensor):
            print(f"  t={stamp - start:6.1f}  {sensor:<7} {level.name:<6} {message}")


def _print_shares(observation, start: float, fault_start: float, fault_end: float) -> None:
    phases = {"before": (-np.inf, fault_start), "during": (fault_start, fault_end),
              "after": (fault_end, np.inf)}
    tables = [t for t in observation.detections if len(t.rows)]
    modalities = _modalities(observation)
    print("\nMean modality share per detection (score-weighted):")
    print(f"  {'phase':<8}{'frames':>7}" + "".join(f"{m:>9}" for m in modalities))
    for phase, (lo, hi) in phases.items():
        selected = [t for t in tables if lo <= t.stamp - start < hi]
        if not selected:
            continue
        scores = np.concatenate([t.column("score") for t in selected])
        shares = [np.concatenate([t.column(f"s_{m}") for t in selected]) for m in modalities]
        means = [float(scores @ s / scores.sum()) for s in shares]
        print(f"  {phase:<8}{len(selected):>7}" + "".join(f"{v:>9.2f}" for v in means))
