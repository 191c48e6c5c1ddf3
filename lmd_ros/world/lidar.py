"""A spinning multi-beam LiDAR: one ray per beam and azimuth step, cast at the boxes and ground."""

from __future__ import annotations

import numpy as np

from lmd_ros.sensors import SensorCalibration
from lmd_ros.world import road
from lmd_ros.world.config import WorldConfig
from lmd_ros.world.objects import Objects
from lmd_ros.world.raycast import NO_OBJECT, cast

MIN_RANGE = 1.0
SPRAY_RANGE_M = (3.0, 8.0)
"""Horizontal distance from the LiDAR at which wheel spray returns: just clear of the car's own
body, out to its neighbours' wheels."""
SPRAY_HEIGHT_M = (0.1, 1.2)


def beam_rays(config: WorldConfig, cal: SensorCalibration) -> np.ndarray:
    """Unit ray directions in ego, (beams * azimuth steps, 3), beam-major."""
    elevation = np.radians(np.linspace(*config.lidar_elevation_deg, config.lidar_beams))
    azimuth = np.linspace(-np.pi, np.pi, config.lidar_azimuth_steps, endpoint=False)
    el, az = np.meshgrid(elevation, azimuth, indexing="ij")
    local = np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], -1)
    return local.reshape(-1, 3) @ cal.T_ego_sensor[:3, :3].T


def sweep(
    cal: SensorCalibration,
    rays: np.ndarray,
    objects: Objects,
    ego_x: float,
    config: WorldConfig,
    rng: np.random.Generator,
    max_range: float,
    fog: float = 0.0,
) -> np.ndarray:
    """One sweep, (N, 4) float32 x, y, z, intensity in the LiDAR frame.

    Rays beyond ``max_range`` return nothing; ``fog`` (extinction, 1/m) makes a return survive
    with the two-way transmission exp(-2 fog r) and dims its intensity by the same factor.
    Rays on the ground miss with ``lidar_ground_miss_rate`` more than others (a wet road).
    Every random draw has one value per ray, so the noise does not depend on range or fog.
    """
    origin = cal.T_ego_sensor[:3, 3]
    hits = cast(origin, rays, objects)
    n = len(rays)
    ranges = hits.distance + rng.normal(0.0, config.lidar_range_noise_m, n)
    transmission = np.exp(-2 * fog * np.where(np.isfinite(ranges), ranges, 0.0))
    ground_or_sky = hits.obj == NO_OBJECT
    miss_rate = config.lidar_miss_rate + np.where(ground_or_sky, config.lidar_ground_miss_rate, 0)
    returned = (
        (hits.distance >= MIN_RANGE)
        & (hits.distance <= max_range)
        & (rng.random(n) >= miss_rate)
        & (rng.random(n) < transmission)
    )
    speckle = rng.normal(1.0, 0.05, n)

    obj = hits.obj[returned]
    points_ego = origin + rays[returned] * ranges[returned, None]
    on_object = obj != NO_OBJECT
    reflectivity = np.empty(len(obj))
    reflectivity[on_object] = objects.reflectivity[obj[on_object]]
    ground = points_ego[~on_object]
    reflectivity[~on_object] = road.SURFACE_REFLECTIVITY[
        road.surface(ground[:, 0] + ego_x, ground[:, 1] + road.EGO_LANE)
    ]
    incidence = np.abs(np.einsum("ij,ij->i", hits.normal[returned], rays[returned]))
    intensity = reflectivity * (0.4 + 0.6 * incidence) * transmission[returned] * speckle[returned]
    points = (points_ego - origin) @ cal.T_ego_sensor[:3, :3]
    return np.column_stack([points, np.clip(intensity, 0.0, 1.0)]).astype(np.float32)


def spray(cal: SensorCalibration, mean: float, rng: np.random.Generator) -> np.ndarray:
    """Spurious weak returns from water thrown up by wheels, (N, 4) like a sweep: a Poisson
    number of points low down, a few metres around the car."""
    n = rng.poisson(mean)
    distance = rng.uniform(*SPRAY_RANGE_M, n)
    azimuth = rng.uniform(-np.pi, np.pi, n)
    origin = cal.T_ego_sensor[:3, 3]
    points_ego = np.column_stack(
        [
            origin[0] + distance * np.cos(azimuth),
            origin[1] + distance * np.sin(azimuth),
            rng.uniform(*SPRAY_HEIGHT_M, n),
        ]
    )
    points = (points_ego - origin) @ cal.T_ego_sensor[:3, :3]
    return np.column_stack([points, rng.uniform(0.01, 0.08, n)]).astype(np.float32)
