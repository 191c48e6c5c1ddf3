"""Input statistics move the way each fault moves the data: on real rendered frames."""

from __future__ import annotations

import numpy as np
import pytest

from lmd_ros.monitor.input_statistics import (
    CAMERA_FEATURES,
    CLOUD_FEATURES,
    InputStatistics,
    message_features,
)
from lmd_ros.world import Drive, Fault, WorldConfig

CONFIG = WorldConfig(duration_s=1.0)


def frame(i: int, *faults: Fault):
    return Drive(3, CONFIG, faults=faults).frame(i)[0]


@pytest.fixture(scope="module")
def clean():
    return frame(5), frame(6)


def test_camera_features_and_change_from_the_same_cameras_previous_image(clean):
    before, now = clean
    statistics = InputStatistics()
    first = statistics("camera/front", before.images["front"])
    assert set(first) == set(CAMERA_FEATURES) - {"change"}
    statistics("camera/left", now.images["left"])  # another camera is not the previous image
    second = statistics("camera/front", now.images["front"])
    assert set(second) == set(CAMERA_FEATURES)
    assert second["change"] == pytest.approx(message_features(
        "camera", now.images["front"], before.images["front"])["change"])
    assert second["change"] > 1.0  # the ego moves, and the noise is fresh


def test_faults_move_the_camera_features(clean):
    _, now = clean
    normal = message_features("camera", now.images["front"])
    black = message_features("camera", frame(6, Fault("camera_blackout", 0, 1)).images["front"])
    blurred = message_features("camera", frame(6, Fault("camera_blur", 0, 1)).images["front"])
    assert black["brightness"] < 0.2 * normal["brightness"]
    assert blurred["sharpness"] < 0.5 * normal["sharpness"]
    frozen = Fault("camera_frozen", 0.5, 1.0)
    still = message_features("camera", frame(7, frozen).images["front"],
                             frame(6, frozen).images["front"])
    assert still["change"] == 0.0


def test_faults_move_the_cloud_features(clean):
    _, now = clean
    normal = message_features("lidar", now.lidar)
    assert set(normal) == set(CLOUD_FEATURES)
    limited = message_features("lidar", frame(6, Fault("lidar_range_limit", 0, 1)).lidar)
    noisy = message_features("lidar", frame(6, Fault("lidar_noise", 0, 1)).lidar)
    assert limited["points"] < normal["points"]
    assert limited["range_p90"] < 0.5 * normal["range_p90"]
    assert noisy["height_std"] > normal["height_std"]
    radar = message_features("radar", now.radar)
    ghosts = message_features("radar", frame(6, Fault("radar_ghosts", 0, 1)).radar)
    assert ghosts["points"] > radar["points"]
    assert message_features("radar", np.zeros((0, 5), np.float32)) == {"points": 0.0}
