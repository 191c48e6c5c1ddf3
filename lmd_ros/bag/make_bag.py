"""`lmd_make_bag`: record a synthetic drive as a rosbag2 bag, as if its sensors were on a car.

The bag holds every sensor topic under the package's names (`settings_for_rig`: cameras at
``/camera/<name>/image_raw`` with their ``camera_info``) with the simulator's messages, frame ids
and sensor-data QoS, record time = header stamp, and the rig's extrinsics on ``/tf_static``;
``--calibration`` records through another rig. ``calibration.yaml`` (the rig, in
`lmd_ros.calibration` format) lies inside the bag directory, where `lmd_analyze_bag` picks it
up. Frame 0 is stamped t0 = 1 700 000 000 s (``START_S``); a fault ``a:b`` covers
t0 + a to t0 + b, and the report shows times since t0.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from lmd_ros.bag.tf_static import TF_STATIC_TOPIC, tf_static_message
from lmd_ros.bag.writer import SENSOR_DATA, STORAGES, BagWriter
from lmd_ros.calibration import load_rig, save_rig
from lmd_ros.monitor.rig_settings import settings_for_rig
from lmd_ros.ros.conversions import seconds_to_stamp
from lmd_ros.ros.inputs import input_streams
from lmd_ros.ros.sensor_messages import frame_messages
from lmd_ros.sensors import Rig
from lmd_ros.world import CONDITIONS, Drive, WorldConfig, condition_config, default_rig, parse_fault

START_S = 1_700_000_000.0
"""Stamp of frame 0: a real epoch, since a zero stamp means "no time yet" to a sim-time node."""
CALIBRATION = "calibration.yaml"


def make_bag(out: Path, seconds: float, seed: int, faults: list[str], storage: str = "mcap",
             rate_hz: float = 10.0, progress: bool = False, rig: Rig | None = None,
             condition: str = "day") -> int:
    """Write the drive through ``rig`` (default: the world's) under a driving ``condition``
    (`lmd_ros.world.CONDITIONS`); returns the number of messages."""
    config = condition_config(condition, WorldConfig(rate_hz=rate_hz, duration_s=seconds))
    drive = Drive(seed=seed, config=config, rig=rig or default_rig(),
                  faults=[parse_fault(text) for text in faults])
    topics = {s.source: s.topic for s in input_streams(settings_for_rig(drive.rig))}
    started = time.monotonic()
    with BagWriter(out, storage, profile=SENSOR_DATA) as writer:
        writer.write(TF_STATIC_TOPIC, tf_static_message(drive.rig, START_S), round(START_S * 1e9))
        for i in range(len(drive)):
            frame, _ = drive.frame(i)
            stamp_s = START_S + frame.stamp
            for topic, msg in frame_messages(frame, seconds_to_stamp(stamp_s), topics, drive.rig):
                writer.write(topic, msg, round(stamp_s * 1e9))
            if progress:
                print(f"\r{out}: frame {i + 1}/{len(drive)}, "
                      f"{(i + 1) / (time.monotonic() - started):.1f} frames/s", end="",
                      file=sys.stderr, flush=True)
    save_rig(drive.rig, out / CALIBRATION)
    if progress:
        print(file=sys.stderr)
    return writer.count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lmd_make_bag", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="bag directory to create")
    parser.add_argument("--seconds", type=float, default=20.0, help="drive length (s)")
    parser.add_argument("--seed", type=int, default=0, help="world seed")
    parser.add_argument("--fault", action="append", default=[],
                        help="kind[camera]@start:end[:severity], repeatable "
                        "(e.g. lidar_dropout@10:20)")
    parser.add_argument("--storage", choices=sorted(STORAGES), default="mcap")
    parser.add_argument("--rate", type=float, default=10.0, help="sensor rate (Hz)")
    parser.add_argument("--condition", choices=CONDITIONS, default="day",
                        help="driving condition of the world (light, weather, traffic)")
    parser.add_argument("--calibration", type=Path,
                        help="record through this rig (calibration YAML; default: the world's)")
    args = parser.parse_args(argv)
    try:
        for text in args.fault:
            parse_fault(text)
    except ValueError as error:
        parser.error(str(error))
    if args.out.exists():
        parser.error(f"{args.out} exists; rosbag2 bags are new directories")
    try:
        rig = load_rig(args.calibration) if args.calibration else None
    except (OSError, ValueError) as error:
        parser.error(f"--calibration: {error}")
    count = make_bag(args.out, args.seconds, args.seed, args.fault, args.storage, args.rate,
                     progress=True, rig=rig, condition=args.condition)
    print(f"wrote {count} messages to {args.out} ({args.storage}); calibration in "
          f"{args.out / CALIBRATION}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
