"""Per-detection attribution and the ROS-free monitor core, on a small untrained model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from lmd_ros.model.adapter import SimpleBEVAdapter
from lmd_ros.model.config import ModelConfig
from lmd_ros.model.simplebev import SimpleBEV
from lmd_ros.monitor.assembly import rig_sources
from lmd_ros.monitor.attribution import Attributor
from lmd_ros.monitor.core import MonitorCore
from lmd_ros.monitor.settings import MonitorSettings
from lmd_ros.world import Drive, default_rig

SETTINGS = MonitorSettings(score_threshold=0.01, max_detections=8)


@pytest.fixture(scope="module")
def attributor() -> Attributor:
    torch.manual_seed(0)
    model = SimpleBEV(ModelConfig(camera_channels=4, bev_channels=(8, 8, 8)))
    return Attributor(SimpleBEVAdapter(model), SETTINGS.score_threshold,
                      SETTINGS.max_detections)


@pytest.fixture(scope="module")
def frame():
    return Drive(seed=5).frame(3)[0]


def test_contributions_sum_to_logits_and_scores(attributor, frame):
    result = attributor(frame, default_rig())
    assert len(result.detections) > 0
    np.testing.assert_allclose(result.contributions.sum(axis=1), result.logits, atol=1e-4)
    scores = np.array([d.score for d in result.detections])
    np.testing.assert_allclose(1 / (1 + np.exp(-result.logits)), scores, atol=1e-5)
    np.testing.assert_allclose(result.shares.sum(axis=1), 1.0, atol=1e-9)
    expected = np.abs(result.contributions[:, :3])
    np.testing.assert_allclose(result.shares, expected / expected.sum(1, keepdims=True))
    assert result.evidence.shape == (3, 64, 64)
    assert (result.evidence >= 0).all()


def test_absent_modality_contributes_nothing(attributor, frame):
    result = attributor(dataclasses.replace(frame, lidar=None), default_rig())
    assert result.present["lidar"] is False
    np.testing.assert_array_equal(result.contributions[:, 2], 0.0)
    np.testing.assert_array_equal(result.shares[:, 2], 0.0)
    assert result.frame_shares()["lidar"] == 0.0


def test_core_assembles_frames_and_ages_from_synchronised_sets(attributor, frame):
    core = MonitorCore(SETTINGS, attributor, rig_sources(SETTINGS))
    assert core.sources == ("camera/front", "camera/left", "camera/right", "camera/rear",
                            "radar/radar", "lidar/lidar")
    sets = []
    for source in core.sources:
        key = source.split("/")[-1]
        data = frame.images[key] if source.startswith("camera/") else frame.radar
        sets += core.ingest(source, 10.0, data if source != "lidar/lidar" else
                            np.zeros((5, 4), np.float32), 10.0)
    assert len(sets) == 1
    assembled = core.frame(sets[0], core.rig)
    assert sorted(assembled.images) == sorted(frame.images)
    assert assembled.stamp == 10.0 and assembled.lidar.shape == (5, 4)
    ages = core.ages(10.5)
    assert ages == pytest.approx({"camera": 0.5, "radar": 0.5, "lidar": 0.5})
    record = core.record(core.analyse(sets[0]), now=10.2)
    assert core.processed == 1 and record.latency_s == pytest.approx(0.2)
