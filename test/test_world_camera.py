"""Camera images: objects appear where the rig calibration projects them, over sky and road."""

from dataclasses import replace

import numpy as np
import pytest

from lmd_ros.world import Drive, WorldConfig, default_rig
from lmd_ros.world.camera import HORIZON, pixel_rays, render
from lmd_ros.world.objects import Objects
from lmd_ros.world.road import ASPHALT, SURFACE_COLOURS

RED = np.array([0.9, 0.1, 0.1])


def red_car_at(point):
    objects = Objects.from_boxes([[*point[:2], 0.8, 4.5, 1.9, 1.6, 0.3]], [0])
    return replace(objects, colours=RED[None])


def project(cam, point):
    T_camera_ego = np.linalg.inv(cam.T_ego_camera)
    p = T_camera_ego[:3, :3] @ point + T_camera_ego[:3, 3]
    u, v, _ = cam.K @ (p / p[2])
    return int(v), int(u)


@pytest.mark.parametrize("name", ["front", "left", "right", "rear"])
def test_a_box_placed_by_hand_shows_where_the_calibration_projects_it(name):
    cam = default_rig().camera(name)
    axis = cam.T_ego_camera[:3, 2]
    centre = cam.T_ego_camera[:3, 3] + 12 * axis + [0.0, 0.0, -0.7]  # car centre, 0.8 m up
    pixel = project(cam, centre)
    with_car = render(cam, pixel_rays(cam), red_car_at(centre), ego_x=0.0)
    empty = render(cam, pixel_rays(cam), Objects.from_boxes(np.zeros((0, 7)), []), ego_x=0.0)
    r, g, b = with_car[pixel]
    assert r > 2 * g and r > 2 * b, with_car[pixel]
    changed = np.any(np.abs(with_car - empty) > 0.05, axis=-1)
    assert changed[pixel] and 0.005 < changed.mean() < 0.5


def test_sky_above_road_below_the_horizon():
    cam = default_rig().camera("front")
    image = render(cam, pixel_rays(cam), Objects.from_boxes(np.zeros((0, 7)), []), ego_x=0.0)
    top_blue, top_red = image[0, :, 2], image[0, :, 0]
    assert np.all(top_blue > top_red + 0.3)
    np.testing.assert_allclose(image[-1, cam.width // 2 - 20], SURFACE_COLOURS[ASPHALT], atol=0.02)
    assert np.abs(image[cam.height // 2 - 2, 0] - HORIZON).max() < 0.1


def test_drive_images_show_objects_at_their_projected_centres():
    """In drive frames, every object in front of a camera changes the pixel at its centre."""
    drive = Drive(seed=4, config=WorldConfig(duration_s=1.0))
    empty = Objects.from_boxes(np.zeros((0, 7)), [])
    checked = 0
    for i in (0, 9):
        objects = drive.scene.objects_at(drive.stamp(i))
        ego_x = drive.scene.ego_x(drive.stamp(i))
        frame, gt = drive.frame(i)
        for cam in drive.rig.cameras:
            rays = pixel_rays(cam)
            clean = render(cam, rays, objects, ego_x)
            background = render(cam, rays, empty, ego_x)
            image = frame.images[cam.name].astype(float) / 255
            for box in gt.boxes:
                T_camera_ego = np.linalg.inv(cam.T_ego_camera)
                p = T_camera_ego[:3, :3] @ box[:3] + T_camera_ego[:3, 3]
                if p[2] < 2 or np.linalg.norm(p) > 35:
                    continue
                v, u = project(cam, box[:3])
                if 0 <= u < cam.width and 0 <= v < cam.height:
                    checked += 1
                    assert np.abs(clean[v, u] - background[v, u]).max() > 0.02
                    assert np.abs(image[v, u] - clean[v, u]).max() < 0.06
    assert checked >= 8
