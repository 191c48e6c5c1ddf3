"""The linearized dependencies against re-running the model without each sensor."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lmd_ros.adapters import load_adapter
from lmd_ros.evaluation.dependency import AgreementCounts, agreement_counts, dependency_agreement
from lmd_ros.evaluation.samples import evaluation_frames
from lmd_ros.monitor.settings import MonitorSettings
from lmd_ros.world import default_rig

THRESHOLD = MonitorSettings().score_threshold


@pytest.fixture(scope="module")
def frames():
    return evaluation_frames(3, seed=0, rig=default_rig())


@pytest.fixture(scope="module")
def adapter():
    return load_adapter("")


def test_counts_split_every_detection_by_both_verdicts():
    linearized = np.array([[True, False], [True, True], [False, False]])
    real = np.array([[True, True], [False, True], [False, False]])
    camera, lidar = agreement_counts(linearized, real)
    assert camera == AgreementCounts(both=1, linearized_only=1, real_only=0, neither=1)
    assert lidar == AgreementCounts(both=1, linearized_only=0, real_only=1, neither=1)
    assert camera.agreement == pytest.approx(2 / 3) and camera.total == 3


def test_agreement_on_three_held_out_frames_counts_each_detection_once_per_modality(
        adapter, frames):
    result = dependency_agreement(adapter, frames, default_rig(), THRESHOLD)
    assert result.frames == 3 and result.detections > 0
    assert list(result.counts) == list(adapter.modalities)
    assert all(c.total == result.detections for c in result.counts.values())
    agreeing = sum(c.both + c.neither for c in result.counts.values())
    assert result.agreement == pytest.approx(agreeing / (3 * result.detections))
    assert 0 <= result.agreement <= 1


def test_a_sensor_already_absent_is_no_dependency_either_way(adapter, frames):
    without_lidar = [dataclasses.replace(f, lidar=None) for f in frames[:1]]
    result = dependency_agreement(adapter, without_lidar, default_rig(), THRESHOLD)
    lidar = result.counts["lidar"]
    assert result.detections > 0
    assert lidar == AgreementCounts(both=0, linearized_only=0, real_only=0,
                                    neither=result.detections)


def test_no_frames_give_no_detections(adapter):
    result = dependency_agreement(adapter, [], default_rig(), THRESHOLD)
    assert result.detections == 0 and np.isnan(result.agreement)
