"""The network's contract with the decomposition engine and the runtime, on random inputs."""

from __future__ import annotations

import math

import pytest
import torch

from lmd_ros.model.bev_head import REGRESSION_CHANNELS
from lmd_ros.model.config import ModelConfig
from lmd_ros.model.decode import decode_detections
from lmd_ros.model.preprocess import ModelInputs
from lmd_ros.model.simplebev import SimpleBEV

SMALL = ModelConfig(x_range=(-12.0, 12.0), y_range=(-12.0, 12.0), image_height=32,
                    image_width=48, camera_channels=4, z_levels=(0.5, 1.5),
                    bev_channels=(8, 16))


def _random_inputs(config: ModelConfig, batch: int = 2) -> ModelInputs:
    torch.manual_seed(0)
    n_cams, (n_x, n_y) = len(config.camera_names), config.grid_shape
    forward_camera = torch.tensor([  # K [R|t]: focal 20 px, optical z = ego x, at the origin
        [config.image_width / 2, -20.0, 0.0, 0.0],
        [config.image_height / 2, 0.0, -20.0, 0.0],
        [1.0, 0.0, 0.0, 0.0]])
    projections = forward_camera.expand(batch, n_cams, 3, 4)
    return ModelInputs(
        images=torch.randn(batch, n_cams, 3, config.image_height, config.image_width),
        camera_valid=torch.ones(batch, n_cams),
        projections=projections,
        radar_bev=torch.randn(batch, config.radar_channels, n_x, n_y),
        lidar_bev=torch.randn(batch, config.lidar_channels, n_x, n_y),
    )


def test_forward_is_the_head_applied_to_the_per_modality_bevs():
    model = SimpleBEV(SMALL).eval()
    inputs = _random_inputs(SMALL)
    bevs = model.encode(inputs)
    assert [b.shape[1] for b in bevs] == list(SMALL.modality_channels.values())
    assert all(b.shape[2:] == SMALL.grid_shape for b in bevs)
    torch.testing.assert_close(model(inputs), model.head(*bevs), rtol=0, atol=0)
    outputs = model(inputs)
    assert outputs["segmentation"].shape == (2, 1, *SMALL.grid_shape)
    assert outputs["heatmap"].shape == (2, len(SMALL.class_names), *SMALL.grid_shape)
    assert outputs["regression"].shape == (2, len(REGRESSION_CHANNELS), *SMALL.grid_shape)


def test_without_cameras_the_camera_bev_is_exactly_zero():
    model = SimpleBEV(SMALL).eval()
    inputs = _random_inputs(SMALL)
    assert torch.count_nonzero(model.encode(inputs)[0]) > 0
    inputs.camera_valid = torch.zeros_like(inputs.camera_valid)
    assert torch.count_nonzero(model.encode(inputs)[0]) == 0


@pytest.mark.parametrize("modalities", [("camera", "radar"), ("camera", "lidar"), ("lidar",)])
def test_the_same_class_builds_every_sensor_subset(modalities):
    config = ModelConfig(**{**SMALL.to_dict(), "modalities": modalities})
    model = SimpleBEV(config).eval()
    inputs = _random_inputs(config)
    assert len(model.encode(inputs)) == len(modalities)
    assert model(inputs)["heatmap"].shape[1] == len(config.class_names)
    assert hasattr(model, "camera_encoder") == ("camera" in modalities)


def test_the_model_runs_in_float64():
    model = SimpleBEV(SMALL).eval().double()
    outputs = model(_random_inputs(SMALL).to(torch.float64))
    assert outputs["heatmap"].dtype == torch.float64


def test_decode_finds_a_planted_peak_and_names_its_cell():
    n_x, n_y = SMALL.grid_shape
    heatmap = torch.full((1, 2, n_x, n_y), -8.0)
    heatmap[0, 1, 20, 11] = 2.0
    heatmap[0, 1, 21, 11] = 1.0  # a shoulder of the same peak: suppressed
    heatmap[0, 0, 3, 4] = -1.0  # a peak below the threshold
    regression = torch.zeros(1, 6, n_x, n_y)
    regression[0, :, 20, 11] = torch.tensor([0.2, -0.1, math.log(0.8), math.log(0.6),
                                             math.sin(0.5), math.cos(0.5)])
    outputs = {"heatmap": heatmap, "regression": regression,
               "segmentation": torch.zeros(1, 1, n_x, n_y)}
    [detections] = decode_detections(outputs, SMALL, score_threshold=0.3)
    assert len(detections) == 1
    d = detections[0]
    assert d.output == ("heatmap", 0, 1, 20, 11) and d.class_id == 1
    assert d.score == pytest.approx(torch.sigmoid(torch.tensor(2.0)).item())
    assert (d.x, d.y) == pytest.approx((-12 + 20.5 * 0.75 + 0.2, -12 + 11.5 * 0.75 - 0.1))
    assert (d.l, d.w, d.yaw) == pytest.approx((0.8, 0.6, 0.5))
    assert (d.z, d.h) == pytest.approx((SMALL.class_heights[1] / 2, SMALL.class_heights[1]))
