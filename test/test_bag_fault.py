"""The product promise on a recorded drive: a bag whose LiDAR drops out from t=a to t=b gets a
LiDAR alarm overlapping [a, b], and none for the healthy camera and radar, whose shares rise
meanwhile. Two severities: every point lost (the LiDAR sends empty clouds, valid messages
that carry nothing, so its share falls to zero), and 99.5 % lost (the LiDAR still speaks, but
its share of the detections collapses).

Uses the shipped trained model (an untrained one relies on no sensor in particular)."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from test_bag_support import WORKDIR, columns, synthetic_bag

from lmd_ros.bag.analysis import AnalysisOptions, analyse_bag
from lmd_ros.bag.make_bag import START_S
from lmd_ros.monitor.settings import NODE_NAME

FAULT = (5.0, 10.0)


@pytest.mark.parametrize("severity", [1.0, 0.995])
def test_lidar_dropout_raises_a_lidar_alarm_over_the_fault_and_none_elsewhere(severity):
    fault = f"lidar_dropout@{FAULT[0]}:{FAULT[1]}:{severity}"
    bag = synthetic_bag(14.0, seed=2, faults=(fault,), rate_hz=5.0)
    config = WORKDIR / "fault.yaml"
    config.write_text(yaml.safe_dump({NODE_NAME: {"ros__parameters": {
        "warmup_frames": 10, "hold_s": 1.0, "clear_s": 1.5}}}))
    out = WORKDIR / f"out_fault_{severity}"
    analyse_bag(bag, out, AnalysisOptions(config=config))
    alarms = columns(out / "alarms.parquet")
    assert set(alarms["sensor"]) == {"lidar"}, alarms
    onsets, clears = alarms["onset"] - START_S, alarms["clear"] - START_S
    overlapping = [(onset, clear) for onset, clear in zip(onsets, clears, strict=True)
                   if onset < FAULT[1] and not clear <= FAULT[0]]  # NaN: still open
    assert overlapping, alarms
    frames = columns(out / "frames.parquet")
    t = frames["stamp"] - START_S
    during = (t > FAULT[0] + 0.5) & (t < FAULT[1])
    if severity == 1.0:
        assert (frames["s_lidar"][during] == 0).all()
    else:
        before = np.nanmean(frames["s_lidar"][t < FAULT[0]])
        assert np.nanmean(frames["s_lidar"][during]) < 0.5 * before
