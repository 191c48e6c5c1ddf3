"""Camera images by ray casting: shaded boxes over a marked road, under a sky gradient."""

from __future__ import annotations

import numpy as np

from lmd_ros.sensors import CameraCalibration
from lmd_ros.world import lighting, road
from lmd_ros.world.config import VEHICLE, WorldConfig
from lmd_ros.world.objects import Objects
from lmd_ros.world.raycast import NO_OBJECT, cast

SUN = np.array([0.4, 0.3, 0.87]) / np.linalg.norm([0.4, 0.3, 0.87])
HORIZON = np.array([0.85, 0.88, 0.92])
ZENITH = np.array([0.30, 0.50, 0.85])
FOG_COLOUR = np.array([0.75, 0.75, 0.76])
HAZE_DISTANCE = 250.0
WINDOW_TINT = np.array([0.12, 0.16, 0.22])
WET_DARKENING = 0.5
"""A soaked surface (wetness 1) keeps this fraction of its dry colour, before its sheen."""
WATER_REFLECTANCE = 0.02
"""Reflectance of water seen straight down; it rises towards 1 at grazing angles (Fresnel)."""
CLEAR_DAY = WorldConfig()


def pixel_rays(cal: CameraCalibration) -> np.ndarray:
    """Unit ray directions in ego through each pixel centre, (H*W, 3) in row-major order."""
    v, u = np.mgrid[0 : cal.height, 0 : cal.width]
    pixels = np.stack([u.ravel() + 0.5, v.ravel() + 0.5, np.ones(u.size)], axis=1)
    optical = pixels @ np.linalg.inv(cal.K).T
    ego = optical @ cal.T_ego_camera[:3, :3].T
    return ego / np.linalg.norm(ego, axis=1, keepdims=True)


def render(
    cal: CameraCalibration,
    rays: np.ndarray,
    objects: Objects,
    ego_x: float,
    fog: float = 0.0,
    config: WorldConfig = CLEAR_DAY,
) -> np.ndarray:
    """A noise-free H x W x 3 float image in [0, 1] of the objects (in ego) and the road.

    ``fog`` is an extinction coefficient (1/m): colours fade to fog grey with distance, which
    takes contrast away from far objects first. ``config`` brings the driving condition: its
    light, headlights, wet road and low sun.
    """
    origin = cal.T_ego_camera[:3, 3]
    hits = cast(origin, rays, objects)
    points = hits.points(origin, rays)
    on_object = hits.obj != NO_OBJECT
    hit = np.isfinite(hits.distance)
    on_ground = hit & ~on_object

    rgb = _sky(rays[:, 2:])
    kinds = road.surface(points[on_ground, 0] + ego_x, points[on_ground, 1] + road.EGO_LANE)
    ground = road.SURFACE_COLOURS[kinds]
    if config.wetness:
        ground = _wet(ground, rays[on_ground], config.wetness)
    haze = 1 - np.exp(-hits.distance[on_ground, None] / HAZE_DISTANCE)
    rgb[on_ground] = ground * (1 - haze) + HORIZON * haze

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

    ambient = lighting.ambient(config, ego_x)
    light = np.full((len(rays), 1), ambient)
    if config.headlights:
        light[hit, 0] += lighting.headlight(points[hit], config.headlights)
    rgb = rgb * light
    if fog > 0:
        veil = 1 - np.exp(-fog * hits.distance)[:, None]
        rgb = rgb * (1 - veil) + FOG_COLOUR * ambient * veil
    if config.low_sun:
        rgb = rgb + (1 - rgb) * lighting.sun_bloom(rays, config.low_sun)[:, None]
    return rgb.reshape(cal.height, cal.width, 3)


def _sky(up: np.ndarray) -> np.ndarray:
    """Sky colour (N, 3) along rays whose upward components are ``up`` (N, 1)."""
    blend = np.clip(up * 2.5, 0.0, 1.0)
    return HORIZON * (1 - blend) + ZENITH * blend


def _wet(colour: np.ndarray, rays: np.ndarray, wetness: float) -> np.ndarray:
    """Ground colours under a film of water: darker, and mirroring the sky more the flatter the
    ray (Schlick's approximation of Fresnel reflectance)."""
    grazing = 1 - np.abs(rays[:, 2:])
    mirror = wetness * (WATER_REFLECTANCE + (1 - WATER_REFLECTANCE) * grazing**5)
    soaked = colour * (1 - WET_DARKENING * wetness)
    return soaked * (1 - mirror) + _sky(-rays[:, 2:]) * mirror
