"""A drive is deterministic, random-access, and hands out data of the documented shapes."""

import numpy as np
import pytest

from lmd_ros.sensors import LIDAR_FIELDS, RADAR_FIELDS
from lmd_ros.world import CLASS_NAMES, Drive, WorldConfig

SHORT = WorldConfig(duration_s=2.0)


def assert_frames_equal(a, b):
    (frame_a, gt_a), (frame_b, gt_b) = a, b
    assert frame_a.stamp == frame_b.stamp
    assert frame_a.images.keys() == frame_b.images.keys()
    for name in frame_a.images:
        np.testing.assert_array_equal(frame_a.images[name], frame_b.images[name])
    np.testing.assert_array_equal(frame_a.lidar, frame_b.lidar)
    np.testing.assert_array_equal(frame_a.radar, frame_b.radar)
    np.testing.assert_array_equal(gt_a.boxes, gt_b.boxes)


def test_same_seed_and_index_give_the_same_frame_in_any_order():
    first = Drive(seed=7, config=SHORT)
    later = first.frame(12)
    first.frame(3)
    assert_frames_equal(later, Drive(seed=7, config=SHORT).frame(12))


def test_different_seeds_lay_out_different_worlds():
    frame_a, _ = Drive(seed=1, config=SHORT).frame(4)
    frame_b, _ = Drive(seed=2, config=SHORT).frame(4)
    assert not np.array_equal(frame_a.images["front"], frame_b.images["front"])
    assert frame_a.lidar.shape != frame_b.lidar.shape or not np.array_equal(
        frame_a.lidar, frame_b.lidar
    )


def test_shapes_dtypes_and_stamps():
    drive = Drive(seed=0, config=SHORT)
    frame, gt = drive.frame(5)
    assert frame.stamp == pytest.approx(0.5)
    assert set(frame.images) == {cam.name for cam in drive.rig.cameras}
    for cam in drive.rig.cameras:
        image = frame.images[cam.name]
        assert image.shape == (cam.height, cam.width, 3) and image.dtype == np.uint8
    assert frame.lidar.dtype == np.float32 and frame.lidar.shape[1] == len(LIDAR_FIELDS)
    assert 10_000 < len(frame.lidar) < 40_000
    assert frame.radar.dtype == np.float32 and frame.radar.shape[1] == len(RADAR_FIELDS)
    assert frame.present() == {"camera": True, "radar": True, "lidar": True}
    k = len(gt.boxes)
    assert gt.boxes.shape == (k, 7) and gt.velocities.shape == (k, 2) and gt.classes.shape == (k,)
    assert set(gt.classes.tolist()) <= set(range(len(CLASS_NAMES)))
    assert np.all(np.linalg.norm(gt.boxes[:, :2], axis=1) <= drive.config.gt_range_m)


def test_length_iteration_and_bounds():
    drive = Drive(seed=0, config=WorldConfig(duration_s=0.3, rate_hz=10.0))
    stamps = [frame.stamp for frame, _ in drive]
    assert len(drive) == 3 and stamps == pytest.approx([0.0, 0.1, 0.2])
    with pytest.raises(IndexError):
        drive.frame(3)


def test_traffic_density_and_motion():
    """Both classes appear near the ego; objects move between frames as their velocity says."""
    drive = Drive(seed=5, config=SHORT)
    counts = []
    for i in (0, 10, 19):
        _, gt = drive.frame(i)
        near = np.all(np.abs(gt.boxes[:, :2]) <= 30, axis=1)
        counts.append(near.sum())
        assert set(gt.classes[near].tolist()) == {0, 1}
    assert 5 <= np.mean(counts) <= 25
    scene = drive.scene
    dt = 0.1
    now, later = scene.objects_at(1.0), scene.objects_at(1.0 + dt)
    ego_motion = np.array([scene.ego_speed, 0.0])
    predicted = now.boxes[:, :2] + (now.velocities - ego_motion) * dt
    close = np.abs(now.boxes[:, 0]) < 50  # away from the loop's wrap-around seam
    np.testing.assert_allclose(later.boxes[close, :2], predicted[close], atol=0.05)
