"""Calibration from its sources (ROS-free): CameraInfo intrinsics, /tf_static extrinsics, the file
as fallback and override, frames of several sensors merged, the ego crop."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lmd_ros.monitor.clouds import merge_clouds
from lmd_ros.monitor.rig_sources import CameraIntrinsics, RigSources
from lmd_ros.sensors import SensorCalibration
from lmd_ros.transforms import StaticTransform, TransformTree, quaternion_xyzw, transform_matrix
from lmd_ros.world import default_rig
from lmd_ros.world.rig import optical_to_ego_rotation, pose

RIG = default_rig()


def test_tree_composes_and_inverts_edges():
    tree = TransformTree()
    T_ego_roof = pose(np.eye(3), (1.0, 0.0, 2.0))
    T_roof_cam = pose(optical_to_ego_rotation(0.3), (0.5, 0.1, 0.0))
    tree.add(StaticTransform("base_link", "roof", T_ego_roof))
    tree.add(StaticTransform("roof", "cam", T_roof_cam))
    np.testing.assert_allclose(tree.lookup("base_link", "cam"), T_ego_roof @ T_roof_cam)
    np.testing.assert_allclose(tree.lookup("cam", "base_link"),
                               np.linalg.inv(T_ego_roof @ T_roof_cam), atol=1e-12)
    assert tree.lookup("base_link", "elsewhere") is None


@pytest.mark.parametrize("yaw", [0.0, 1.2, np.pi, -2.9])
def test_quaternions_round_trip(yaw):
    T = pose(optical_to_ego_rotation(yaw), (1.0, -2.0, 0.5))
    np.testing.assert_allclose(transform_matrix(T[:3, 3], quaternion_xyzw(T)), T, atol=1e-12)


def _sources(file_rig=None, override=False) -> RigSources:
    return RigSources(["front", "side"], ["radar"], ["lidar"], "base_link", file_rig,
                      None if file_rig else RIG, override)


def test_camera_info_and_tf_win_over_the_fallback_and_unknown_cameras_wait():
    sources = _sources()
    assert [c.name for c in sources.rig.cameras] == ["front"]  # "side": no calibration at all
    assert sources.origin["camera/side"].startswith("no calibration")
    K = np.array([[300.0, 0, 160], [0, 300.0, 90], [0, 0, 1]])
    sources.camera_info("side", CameraIntrinsics(320, 180, K, "side_optical"))
    assert sources.origin["camera/side"].startswith("no extrinsics")
    T = pose(optical_to_ego_rotation(np.pi / 2), (1.0, 0.9, 1.4))
    sources.transforms([StaticTransform("base_link", "side_optical", T)])
    side = sources.rig.camera("side")
    assert (side.width, side.height, side.frame_id) == (320, 180, "side_optical")
    np.testing.assert_array_equal(side.K, K)
    np.testing.assert_allclose(side.T_ego_camera, T)
    assert sources.origin["camera/side"] == "intrinsics: camera_info; extrinsics: /tf_static"
    assert sources.expected_frame("camera/side") == "side_optical"
    front = sources.rig.camera("front")  # untouched: the shipped default
    np.testing.assert_array_equal(front.K, RIG.camera("front").K)


def test_a_range_sensor_is_found_in_tf_through_the_frame_its_messages_carry():
    sources = _sources()
    assert sources.expected_frame("lidar/lidar") == "lidar"  # the default rig's, until TF says
    T = pose(np.eye(3), (0.3, 0.0, 2.2))
    sources.saw_frame("lidar/lidar", "velodyne_top")
    sources.transforms([StaticTransform("base_link", "velodyne_top", T)])
    np.testing.assert_allclose(sources.rig.lidar.T_ego_sensor, T)
    assert sources.expected_frame("lidar/lidar") is None


def test_the_file_is_the_fallback_and_with_override_wins():
    file_rig = dataclasses.replace(RIG, cameras=(dataclasses.replace(RIG.cameras[0]),
                                                 dataclasses.replace(RIG.cameras[1], name="side")))
    K = np.diag([200.0, 200.0, 1.0])
    for override, expected in ((False, K), (True, file_rig.camera("side").K)):
        sources = _sources(file_rig, override)
        sources.camera_info("side", CameraIntrinsics(160, 96, K, "camera_side_optical"))
        np.testing.assert_array_equal(sources.rig.camera("side").K, expected)


def test_clouds_of_two_lidars_merge_in_the_first_ones_frame_and_the_ego_crop_cuts():
    roof = SensorCalibration("roof", pose(np.eye(3), (1.0, 0.0, 2.0)))
    backwards = np.diag([-1.0, -1.0, 1.0])
    rear = SensorCalibration("rear", pose(backwards, (-1.0, 0.0, 0.5)))
    ahead = np.array([[10.0, 0.0, -1.0, 0.5]], np.float32)  # 10 m ahead of the roof LiDAR
    body = np.array([[-1.0, 0.0, 1.5, 0.9]], np.float32)  # the car's roof, seen from the rear
    merged = merge_clouds({"roof": ahead, "rear": body}, (roof, rear))
    ego = merged[:, :3] + roof.T_ego_sensor[:3, 3]
    np.testing.assert_allclose(ego, [[11.0, 0.0, 1.0], [0.0, 0.0, 2.0]], atol=1e-6)
    np.testing.assert_array_equal(merged[:, 3], np.float32([0.5, 0.9]))
    cropped = merge_clouds({"roof": ahead, "rear": body}, (roof, rear),
                           (-2.5, 2.5, -1.0, 1.0, 0.0, 3.0))
    np.testing.assert_allclose(cropped[:, :3] + roof.T_ego_sensor[:3, 3], [[11.0, 0.0, 1.0]],
                               atol=1e-6)
    assert merge_clouds({"rear": None}, (roof, rear)) is None
    assert merge_clouds({"roof": ahead}, (roof,)) is ahead  # one sensor, no crop: no copy
