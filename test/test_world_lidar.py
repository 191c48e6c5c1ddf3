"""LiDAR sweeps: points lie on boxes or the ground, thin out with range, and fade in fog."""

import numpy as np

from lmd_ros.world import Drive, WorldConfig, parse_fault

CONFIG = WorldConfig(duration_s=2.0)


def in_ego(drive, points):
    T = drive.rig.lidar.T_ego_sensor
    return points[:, :3] @ T[:3, :3].T + T[:3, 3]


def inside_inflated_box(points, boxes, margin):
    inside = np.zeros(len(points), dtype=bool)
    for x, y, z, length, width, height, yaw in boxes:
        d = points - [x, y, z]
        along = np.cos(yaw) * d[:, 0] + np.sin(yaw) * d[:, 1]
        across = -np.sin(yaw) * d[:, 0] + np.cos(yaw) * d[:, 1]
        inside |= (
            (np.abs(along) <= length / 2 + margin)
            & (np.abs(across) <= width / 2 + margin)
            & (np.abs(d[:, 2]) <= height / 2 + margin)
        )
    return inside


def test_every_point_lies_on_the_ground_or_on_a_box():
    drive = Drive(seed=2, config=CONFIG)
    frame, _ = drive.frame(7)
    points = in_ego(drive, frame.lidar)
    boxes = drive.scene.objects_at(frame.stamp).boxes
    on_ground = np.abs(points[:, 2]) < 0.1
    on_box = inside_inflated_box(points, boxes, margin=0.1)
    assert np.all(on_ground | on_box)
    assert 0.02 < on_box.mean() < 0.5
    ranges = np.linalg.norm(frame.lidar[:, :3], axis=1)
    assert ranges.max() <= CONFIG.lidar_max_range_m + 0.1
    assert np.all((frame.lidar[:, 3] >= 0) & (frame.lidar[:, 3] <= 1))


def test_density_falls_with_range():
    frame, _ = Drive(seed=0, config=CONFIG).frame(0)
    r = np.linalg.norm(frame.lidar[:, :2], axis=1)
    edges = np.array([4.0, 8.0, 16.0, 32.0])
    counts = np.histogram(r, edges)[0]
    density = counts / (np.pi * np.diff(edges**2))
    assert np.all(np.diff(density) < 0) and density[0] > 10 * density[-1]


def test_fog_removes_far_returns_first():
    clean = Drive(seed=0, config=CONFIG).frame(5)[0].lidar
    foggy = Drive(seed=0, config=CONFIG, faults=[parse_fault("fog@0:1")]).frame(5)[0].lidar

    def count(points, low, high):
        r = np.linalg.norm(points[:, :3], axis=1)
        return np.count_nonzero((r >= low) & (r < high))

    near_kept = count(foggy, 0, 5) / count(clean, 0, 5)
    far_kept = count(foggy, 20, 40) / max(count(clean, 20, 40), 1)
    assert near_kept > 0.4 and far_kept < 0.15 and far_kept < near_kept / 3
