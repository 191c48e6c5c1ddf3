"""A tiny model learns from a few world frames, and survives a checkpoint round trip."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from lmd_ros.model.checkpoint import check_compatible, load_model, save_checkpoint
from lmd_ros.model.config import ModelConfig
from lmd_ros.model.dataset import WorldDataset
from lmd_ros.model.losses import detection_losses
from lmd_ros.model.preprocess import preprocess
from lmd_ros.model.simplebev import SimpleBEV
from lmd_ros.model.targets import make_targets
from lmd_ros.model.train import train
from lmd_ros.sensors import GroundTruth
from lmd_ros.world import Drive, default_rig

RIG = default_rig(height=32, width=48)
TINY = ModelConfig(x_range=(-12.0, 12.0), y_range=(-12.0, 12.0), image_height=32,
                   image_width=48, camera_channels=4, z_levels=(0.5, 1.5), bev_channels=(8, 16))


@pytest.fixture(scope="module")
def frames() -> WorldDataset:
    pairs = [Drive(seed=7, rig=RIG).frame(i) for i in (0, 60, 120, 180)]
    return WorldDataset([f for f, _ in pairs], [t for _, t in pairs])


def _loss(model: SimpleBEV, data: WorldDataset) -> float:
    with torch.no_grad():
        outputs = model(preprocess(data.frames, RIG, model.config))
        return detection_losses(outputs, make_targets(data.truths, model.config))["total"].item()


def test_targets_peak_on_the_centre_cell_and_hold_the_box_there():
    truth = GroundTruth(boxes=np.array([[3.1, -2.0, 0.8, 4.5, 1.9, 1.6, 0.3],
                                        [40.0, 0.0, 0.8, 4.5, 1.9, 1.6, 0.0]]),
                        classes=np.array([0, 1]), velocities=np.zeros((2, 2)))
    targets = make_targets([truth], TINY)
    row, col = 20, 13  # x 3.1 -> (3.1 + 12) / 0.75 = 20.1; y -2.0 -> 13.3
    assert torch.nonzero(targets.heatmap[0, 0] == 1).tolist() == [[row, col]]
    assert torch.count_nonzero(targets.heatmap[0, 1]) == 0  # the second box is off the grid
    assert torch.nonzero(targets.centre_mask[0, 0]).tolist() == [[row, col]]
    assert targets.regression[0, :, row, col].tolist() == pytest.approx(
        [3.1 - 3.375, -2.0 - (-1.875), np.log(4.5), np.log(1.9), np.sin(0.3), np.cos(0.3)],
        abs=1e-6)
    assert targets.segmentation[0, 0, row, col] == 1


def test_a_few_training_steps_lower_the_loss(frames):
    torch.manual_seed(0)
    model = SimpleBEV(TINY).train()
    before = _loss(model, frames)
    summary = train(model, frames, RIG, budget_s=300, batch_size=4, lr=5e-3, seed=0,
                    max_steps=40)
    after = _loss(model.train(), frames)
    assert summary["steps"] == 40
    assert after < 0.6 * before


def test_checkpoint_round_trip_with_weights_only(tmp_path, frames):
    model = SimpleBEV(TINY).eval()
    path = tmp_path / "tiny.pt"
    save_checkpoint(path, model, {"steps": 0, "note": "untrained"})
    raw = torch.load(path, weights_only=True)
    assert ModelConfig.from_dict(raw["config"]) == TINY
    assert raw["train_info"] == {"steps": 0, "note": "untrained"}
    loaded = load_model(path)
    inputs = preprocess(frames.frames[:1], RIG, TINY)
    torch.testing.assert_close(loaded(inputs), model(inputs), rtol=0, atol=0)


def test_check_compatible_takes_any_cameras_and_refuses_other_modalities():
    check_compatible(TINY, RIG, ["lidar", "camera", "radar"])
    check_compatible(TINY, default_rig())
    renamed = dataclasses.replace(RIG, cameras=(dataclasses.replace(RIG.cameras[0], name="x"),
                                                *RIG.cameras[1:]))
    check_compatible(TINY, renamed)
    with pytest.raises(ValueError, match="1 to 12 cameras"):
        check_compatible(TINY, dataclasses.replace(RIG, cameras=()))
    with pytest.raises(ValueError, match="expected"):
        check_compatible(TINY, RIG, ["camera", "radar"])


@pytest.mark.parametrize("modalities", [(), ("sonar",), ("lidar", "camera")])
def test_config_refuses_bad_modalities(modalities):
    with pytest.raises(ValueError, match="modalities"):
        ModelConfig(modalities=modalities)
