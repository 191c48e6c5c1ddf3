"""The shipped calibration file is the default rig, and a broken file is refused clearly."""

import numpy as np
import pytest

from lmd_ros.calibration import load_rig, save_rig
from lmd_ros.world import default_rig


def _assert_same_rig(a, b):
    assert [c.name for c in a.cameras] == [c.name for c in b.cameras]
    for ca, cb in zip(a.cameras, b.cameras, strict=True):
        assert (ca.width, ca.height) == (cb.width, cb.height)
        np.testing.assert_array_equal(ca.K, cb.K)
        np.testing.assert_array_equal(ca.T_ego_camera, cb.T_ego_camera)
    np.testing.assert_array_equal(a.lidar.T_ego_sensor, b.lidar.T_ego_sensor)
    np.testing.assert_array_equal(a.radar.T_ego_sensor, b.radar.T_ego_sensor)


def test_shipped_calibration_is_the_default_rig(repo_root):
    _assert_same_rig(load_rig(repo_root / "config" / "calibration.yaml"), default_rig())
    _assert_same_rig(load_rig(""), default_rig())


def test_round_trip_and_broken_file(tmp_path):
    path = tmp_path / "rig.yaml"
    save_rig(default_rig(), path)
    _assert_same_rig(load_rig(path), default_rig())
    path.write_text("cameras: [{name: front}]\n")
    with pytest.raises(ValueError, match="not a valid rig"):
        load_rig(path)
