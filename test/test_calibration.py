"""The shipped calibration file is the default rig, and a broken file is refused clearly."""

import pytest

from lmd_ros.calibration import load_rig, save_rig
from lmd_ros.world import default_rig, rig_to_dict


def _assert_same_rig(a, b):
    """Exact equality, float for float (the dict form holds every number of a rig)."""
    assert rig_to_dict(a) == rig_to_dict(b)


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
