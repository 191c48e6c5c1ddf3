"""Radar scans: returns sit on objects, with range rates that match the objects' motion."""

from dataclasses import replace

import numpy as np

from lmd_ros.world import Drive, WorldConfig, default_rig
from lmd_ros.world.objects import Objects
from lmd_ros.world.radar import scan


def test_radial_velocity_sign_follows_relative_motion():
    """Ego at 10 m/s; a car ahead at 15 m/s pulls away, an oncoming one closes in."""
    rig = default_rig()
    boxes = [[30.0, 0.0, 0.8, 4.5, 1.9, 1.6, 0.0], [30.0, 6.0, 0.8, 4.5, 1.9, 1.6, np.pi]]
    objects = Objects.from_boxes(boxes, [0, 0])
    objects = replace(objects, velocities=np.array([[15.0, 0.0], [-10.0, 0.0]]))
    config = WorldConfig(radar_clutter=0.0)
    returns = np.concatenate(
        [
            scan(rig.radar, objects, np.array([10.0, 0.0]), config, np.random.default_rng(s))
            for s in range(5)
        ]
    )
    ego = returns[:, :3] + rig.radar.T_ego_sensor[:3, 3]
    ahead = np.abs(ego[:, 1]) < 2
    oncoming = np.abs(ego[:, 1] - 6) < 2
    assert ahead.sum() >= 5 and oncoming.sum() >= 5
    assert np.all(np.abs(returns[ahead, 4] - 5.0) < 1.0)
    assert np.all(np.abs(returns[oncoming, 4] + 20.0) < 1.5)


def test_drive_returns_match_ground_truth_motion():
    drive = Drive(seed=3, config=WorldConfig(duration_s=2.0))
    agree = total = 0
    for i in range(0, 20, 4):
        frame, gt = drive.frame(i)
        origin = drive.rig.radar.T_ego_sensor[:3, 3]
        points = frame.radar[:, :3] + origin
        assert frame.radar.shape[1] == 5 and np.all(np.linalg.norm(frame.radar[:, :2], axis=1) < 82)
        relative = gt.velocities - [drive.scene.ego_speed, 0.0]
        for box, v in zip(gt.boxes, relative, strict=True):
            line_of_sight = (box[:2] - origin[:2]) / np.linalg.norm(box[:2] - origin[:2])
            expected = v @ line_of_sight
            near = np.linalg.norm(points[:, :2] - box[:2], axis=1) < 1.0
            if abs(expected) > 1.0:
                total += near.sum()
                agree += np.sum(np.sign(frame.radar[near, 4]) == np.sign(expected))
    assert total > 20 and agree / total > 0.9


def test_vehicles_return_more_than_pedestrians_and_heights_are_coarse():
    drive = Drive(seed=1, config=WorldConfig(duration_s=3.0, radar_clutter=0.0))
    per_class = {0: [], 1: []}
    heights = []
    for i in range(0, 30, 3):
        frame, gt = drive.frame(i)
        points = frame.radar[:, :3] + drive.rig.radar.T_ego_sensor[:3, 3]
        for box, cls in zip(gt.boxes, gt.classes, strict=True):
            near = np.linalg.norm(points[:, :2] - box[:2], axis=1) < 1.5
            per_class[int(cls)].append(near.sum())
            heights.extend(points[near, 2] - box[2])
    assert np.mean(per_class[0]) > 2 * np.mean(per_class[1]) > 0
    assert 0.5 < np.std(heights) < 1.5
