"""The default rig: four level cameras covering 360°, and an exact YAML round trip."""

import numpy as np
import yaml

from lmd_ros.world import default_rig, rig_from_dict, rig_to_dict


def test_default_rig_cameras():
    rig = default_rig()
    assert [cam.name for cam in rig.cameras] == ["front", "left", "right", "rear"]
    for cam in rig.cameras:
        assert (cam.height, cam.width) == (96, 160)
        hfov = 2 * np.degrees(np.arctan(cam.width / 2 / cam.K[0, 0]))
        assert 95 <= hfov <= 105


def project(cam, point_ego):
    T_camera_ego = np.linalg.inv(cam.T_ego_camera)
    p = T_camera_ego[:3, :3] @ point_ego + T_camera_ego[:3, 3]
    if p[2] <= 0:
        return None
    u, v, _ = cam.K @ (p / p[2])
    return (u, v) if 0 <= u < cam.width and 0 <= v < cam.height else None


def test_optical_frames_follow_the_convention():
    """A point far ahead lands mid-image in the front camera; one above the horizon, high up."""
    front = default_rig().camera("front")
    u, v = project(front, np.array([100.0, 0.0, 1.5]))
    assert abs(u - front.width / 2) < 1 and abs(v - front.height / 2) < 1
    u_left, v_up = project(front, np.array([100.0, 20.0, 20.0]))
    assert u_left < front.width / 2 and v_up < front.height / 2
    assert project(default_rig().camera("left"), np.array([1.0, 30.0, 1.5])) is not None


def test_cameras_cover_every_direction():
    rig = default_rig()
    for azimuth in np.radians(np.arange(0, 360, 5)):
        point = 30 * np.array([np.cos(azimuth), np.sin(azimuth), 0.0]) + [1.0, 0.0, 1.5]
        assert any(project(cam, point) is not None for cam in rig.cameras), np.degrees(azimuth)


def test_dict_round_trip_through_yaml_is_exact():
    rig = default_rig(height=64, width=100, hfov_deg=97.3)
    text = yaml.safe_dump(rig_to_dict(rig))
    again = rig_from_dict(yaml.safe_load(text))
    assert [c.name for c in again.cameras] == [c.name for c in rig.cameras]
    for a, b in zip(rig.cameras, again.cameras, strict=True):
        assert (a.width, a.height) == (b.width, b.height)
        np.testing.assert_array_equal(a.K, b.K)
        np.testing.assert_array_equal(a.T_ego_camera, b.T_ego_camera)
    np.testing.assert_array_equal(rig.lidar.T_ego_sensor, again.lidar.T_ego_sensor)
    np.testing.assert_array_equal(rig.radar.T_ego_sensor, again.radar.T_ego_sensor)
    assert rig_to_dict(again) == rig_to_dict(rig)
