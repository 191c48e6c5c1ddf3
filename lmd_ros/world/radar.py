"""A 360° automotive radar: a few noisy returns per object, with RCS and radial velocity.

Vehicles return several strong points; pedestrians are weak and often missed; objects behind
other objects are mostly missed. Positions are good in range, coarser in azimuth and poor in
height. ``v_radial`` is the range rate of the return relative to the moving ego (positive:
moving away), so static clutter appears to approach at the ego's speed.
"""

from __future__ import annotations

import numpy as np

from lmd_ros.sensors import SensorCalibration
from lmd_ros.world.config import VEHICLE, WorldConfig
from lmd_ros.world.objects import Objects
from lmd_ros.world.raycast import cast

RANGE_NOISE, AZIMUTH_NOISE, HEIGHT_NOISE = 0.15, np.radians(0.6), 0.8
VELOCITY_NOISE, RCS_SPREAD = 0.1, 2.5
CLUTTER_RCS = (-8.0, 4.0)
MIN_RANGE = 1.5
REFLECTOR_DETECTION = 0.85
NO_REFLECTORS = np.zeros((0, 4))


def scan(
    cal: SensorCalibration,
    objects: Objects,
    ego_velocity: np.ndarray,
    config: WorldConfig,
    rng: np.random.Generator,
    reflectors: np.ndarray = NO_REFLECTORS,
) -> np.ndarray:
    """One scan, (N, 5) float32 x, y, z, rcs, v_radial in the radar frame.

    ``reflectors`` (M, 4): x, y, z (ego) and mean RCS of static radar-only reflectors (see
    `Scene.reflectors_at`); each returns one point with probability ``REFLECTOR_DETECTION``.
    """
    origin = cal.T_ego_sensor[:3, 3]
    max_range = config.radar_max_range_m
    distance = np.linalg.norm(objects.boxes[:, :2] - origin[:2], axis=1)
    objects = objects.select(distance < max_range)
    distance = distance[distance < max_range]
    is_vehicle = objects.classes == VEHICLE

    to_centre = objects.boxes[:, :3] - origin
    line_of_sight = to_centre / np.linalg.norm(to_centre, axis=1, keepdims=True)
    occluded = cast(origin, line_of_sight, objects).obj != np.arange(len(objects))
    p_detect = np.where(is_vehicle, 0.97, 0.75 * (1 - distance / (1.5 * max_range)))
    p_detect *= np.where(occluded, np.where(is_vehicle, 0.35, 0.2), 1.0)
    detected = rng.random(len(objects)) < p_detect
    extra = np.where(is_vehicle, 2.5 * (1 - 0.5 * distance / max_range), 0.2)
    counts = np.where(detected, 1 + rng.poisson(extra), 0)

    owner = np.repeat(np.arange(len(objects)), counts)
    box = objects.boxes[owner]
    local = rng.uniform(-0.5, 0.5, (len(owner), 2)) * box[:, 3:5]
    c, s = np.cos(box[:, 6]), np.sin(box[:, 6])
    surface = np.column_stack(
        [
            box[:, 0] + c * local[:, 0] - s * local[:, 1],
            box[:, 1] + s * local[:, 0] + c * local[:, 1],
            rng.uniform(0.2, 0.9, len(owner)) * box[:, 5],
        ]
    )
    relative_velocity = objects.velocities[owner] - ego_velocity
    rcs = objects.rcs[owner] + rng.normal(0.0, RCS_SPREAD, len(owner))
    noise = config.radar_noise_scale
    returns = _measure(surface - origin, relative_velocity, rcs, rng, noise)

    n_clutter = rng.poisson(config.radar_clutter)
    clutter_range = rng.uniform(MIN_RANGE * 2, max_range, n_clutter)
    clutter_azimuth = rng.uniform(-np.pi, np.pi, n_clutter)
    clutter = np.column_stack(
        [
            clutter_range * np.cos(clutter_azimuth),
            clutter_range * np.sin(clutter_azimuth),
            rng.uniform(-0.3, 1.5, n_clutter),
        ]
    )
    static = -np.asarray(ego_velocity, dtype=float)  # the velocity of still things, to the ego
    clutter_rcs = rng.normal(*CLUTTER_RCS, n_clutter)
    clutter_returns = _measure(
        clutter, np.broadcast_to(static, (n_clutter, 2)), clutter_rcs, rng, noise
    )

    offset = reflectors[:, :3] - origin
    seen = (np.linalg.norm(offset[:, :2], axis=1) < max_range) & (
        rng.random(len(reflectors)) < REFLECTOR_DETECTION
    )
    n_seen = int(seen.sum())
    reflector_rcs = reflectors[seen, 3] + rng.normal(0.0, RCS_SPREAD, n_seen)
    reflector_returns = _measure(
        offset[seen], np.broadcast_to(static, (n_seen, 2)), reflector_rcs, rng, noise
    )

    points = np.concatenate([returns, clutter_returns, reflector_returns])
    points[:, :3] = points[:, :3] @ cal.T_ego_sensor[:3, :3]
    return points.astype(np.float32)


def _measure(
    offset: np.ndarray,
    relative_velocity: np.ndarray,
    rcs: np.ndarray,
    rng: np.random.Generator,
    noise_scale: float,
) -> np.ndarray:
    """Noisy (x, y, z, rcs, v_radial) of true reflectors at ``offset`` from the radar (ego axes);
    ``noise_scale`` multiplies every measurement noise."""
    n = len(offset)
    horizontal = np.linalg.norm(offset[:, :2], axis=1)
    direction = offset[:, :2] / np.maximum(horizontal, 1e-9)[:, None]
    v_radial = np.einsum("ij,ij->i", relative_velocity, direction)
    r = horizontal + rng.normal(0.0, RANGE_NOISE * noise_scale, n)
    azimuth = np.arctan2(offset[:, 1], offset[:, 0]) + rng.normal(
        0.0, AZIMUTH_NOISE * noise_scale, n
    )
    return np.column_stack(
        [
            r * np.cos(azimuth),
            r * np.sin(azimuth),
            offset[:, 2] + rng.normal(0.0, HEIGHT_NOISE * noise_scale, n),
            rcs,
            v_radial + rng.normal(0.0, VELOCITY_NOISE * noise_scale, n),
        ]
    )
