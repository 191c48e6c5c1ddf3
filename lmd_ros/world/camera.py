"""Camera images by ray casting: shaded boxes over a marked road, under a sky gradient."""

from __future__ import annotations

import numpy as np

from lmd_ros.sensors import CameraCalibration
from lmd_ros.world import road
from lmd_ros.world.config import VEHICLE
from lmd_ros.world.objects import Objects
from lmd_ros.world.raycast import NO_OBJECT, cast

SUN = np.array([0.4, 0.3, 0.87]) / np.linalg.norm([0.4, 0.3, 0.87])
HORIZON = np.array([0.85, 0.88, 0.92])
ZENITH = np.array([0.30, 0.50, 0.85])
FOG_COLOUR = np.array([0.75, 0.75, 0.76])
HAZE_DISTANCE = 250.0
WINDOW_TINT = np.array([0.12, 0.16, 0.22])


def pixel_rays(cal: CameraCalibration) -> np.ndarray:
    """Unit ray directions in ego through each pixel centre, (H*W, 3) in row-major order."""
    v, u = np.mgrid[0 : cal.height, 0 : cal.width]
    pixels = np.stack([u.ravel() + 0.5, v.ravel() + 0.5, np.ones(u.size)], axis=1)
    optical = pixels @ np.linalg.inv(cal.K).T
    ego = optical @ cal.T_ego_camera[:3, :3].T
    return ego / np.linalg.norm(ego, axis=1, keepdims=True)


def render(
    cal: CameraCalibration, rays: np.ndarray, objects: Objects, ego_x: float, fog: float = 0.0
) -> np.ndarray:
    """A noise-free H x W x 3 float image in [0, 1] of the objects (in ego) and the road.

    ``fog`` is an extinction coefficient (1/m): colours fade to fog grey with distance, which
    takes contrast away from far objects first.
    """
    origin = cal.T_ego_camera[:3, 3]
    hits = cast(origin, rays, objects)
    points = hits.points(origin, rays)
    on_object = hits.obj != NO_OBJECT
    on_ground = np.isfinite(hits.distance) & ~on_object

    sky_blend = np.clip(rays[:, 2:] * 2.5, 0.0, 1.0)
    rgb = HORIZON * (1 - sky_blend) + ZENITH * sky_blend
    kinds = road.surface(points[on_ground, 0] + ego_x, points[on_ground, 1] + road.EGO_LANE)
    haze = 1 - np.exp(-hits.distance[on_ground, None] / HAZE_DISTANCE)
    rgb[on_ground] = road.SURFACE_COLOURS[kinds] * (1 - haze) + HORIZON * haze

    idx = hits.obj[on_object]
    lambert = np.clip(hits.normal[on_object] @ SUN, 0.0, 1.0)[:, None]
    colour = objects.colours[idx]
    box = objects.boxes[idx]
    is_window = (
        (objects.classes[idx] == VEHICLE)
        & (np.abs(hits.normal[on_object, 2]) < 0.5)
        & (points[on_object, 2] > box[:, 2] + 0.15 * box[:, 5])
    )
    colour[is_window] = WINDOW_TINT
    rgb[on_object] = colour * (0.45 + 0.55 * lambert)

    if fog > 0:
        veil = 1 - np.exp(-fog * hits.distance)[:, None]
        rgb = rgb * (1 - veil) + FOG_COLOUR * veil
    return rgb.reshape(cal.height, cal.width, 3)
