"""The engine benchmark's seam on a tiny SimpleBEV (its timings are the benchmark's business):
every coalition's inputs are built, and all five measurements run and check completeness."""

from __future__ import annotations

import torch

from lmd_ros.benchmarks.engine import compare, frame_inputs
from lmd_ros.model.config import ModelConfig
from lmd_ros.model.simplebev import SimpleBEV
from lmd_ros.world import Drive, default_rig


def test_compare_times_all_five_and_checks_completeness():
    torch.manual_seed(0)
    model = SimpleBEV(ModelConfig(camera_channels=4, bev_channels=(8, 8, 8))).eval()
    rig = default_rig()
    coalitions = frame_inputs(model, rig, Drive(seed=3).frame(5)[0])
    assert len(coalitions) == 8
    only_radar = coalitions[frozenset({"radar"})]
    assert not only_radar.camera_valid.any() and not only_radar.lidar_bev.any()
    assert only_radar.radar_bev.any()
    result = compare(model, coalitions, repeats=1)
    timed = ("forward", "head", "decompose", "pruned", "shapley")
    assert set(result) == {*timed, "gap"}
    assert all(result[k] > 0 for k in timed)
    assert result["gap"] < 1e-5
