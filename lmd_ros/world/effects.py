"""What a fault does to data: pure functions from clean data and a severity to degraded data.

Render-time faults (fog, LiDAR range limit, a misaligned camera) are parameters of the sensor
models instead; the constants here map their severity to physical units.
"""

from __future__ import annotations

import math

import numpy as np

FOG_EXTINCTION = 0.06
"""Extinction (1/m) of fog at severity 1: a camera loses ~70% contrast at 20 m, a LiDAR return
from 20 m survives ~9% of the time."""
RANGE_LIMIT_FLOOR = 0.2
"""At severity 1 a range-limited LiDAR still reaches this fraction of its normal range."""
MAX_BLUR_RADIUS = 4
LIDAR_NOISE_STD = 0.5
MAX_GHOSTS = 40
MISALIGN_YAW_DEG = 5.0
"""Yaw error of a sensor knocked out of its mounting, at severity 1: what it sees at 20 m lands
1.7 m to the side of where its calibration puts it."""
MISALIGN_OFFSET_M = 0.3
"""Sideways shift (to the car's left, ego +y) of a knocked sensor, at severity 1."""


def blur(image: np.ndarray, severity: float) -> np.ndarray:
    """Separable box blur over (2r+1)^2 pixels, r growing with severity (edges replicated)."""
    radius = max(1, round(severity * MAX_BLUR_RADIUS))
    for axis in (0, 1):
        pad = [(0, 0)] * image.ndim
        pad[axis] = (radius + 1, radius)
        sums = np.cumsum(np.pad(image, pad, mode="edge"), axis=axis)
        size = image.shape[axis]
        upper = np.take(sums, np.arange(2 * radius + 1, 2 * radius + 1 + size), axis=axis)
        lower = np.take(sums, np.arange(size), axis=axis)
        image = (upper - lower) / (2 * radius + 1)
    return image


def glare(image: np.ndarray, severity: float, centre: tuple[float, float]) -> np.ndarray:
    """Wash the image out towards white: a bright bloom at ``centre`` (row, col) and a veil."""
    h, w = image.shape[:2]
    rows, cols = np.mgrid[0:h, 0:w]
    spread = (0.15 + 0.35 * severity) * w
    bloom = np.exp(-((rows - centre[0]) ** 2 + (cols - centre[1]) ** 2) / (2 * spread**2))
    strength = severity * (0.3 + 0.7 * bloom)[..., None]
    return image + (255.0 - image) * strength


def blackout(image: np.ndarray, severity: float) -> np.ndarray:
    return image * (1.0 - severity)


def drop(points: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Keep each point with probability 1 - fraction."""
    return points[rng.random(len(points)) >= fraction]


def jitter_ranges(points: np.ndarray, severity: float, rng: np.random.Generator) -> np.ndarray:
    """Add Gaussian range error (std ``LIDAR_NOISE_STD * severity``) along each point's ray."""
    ranges = np.linalg.norm(points[:, :3], axis=1, keepdims=True)
    scale = 1 + rng.normal(0.0, LIDAR_NOISE_STD * severity, ranges.shape) / np.maximum(ranges, 1e-6)
    noisy = points.copy()
    noisy[:, :3] *= scale
    return noisy


def ghosts(severity: float, max_range: float, rng: np.random.Generator) -> np.ndarray:
    """Spurious strong radar returns (multipath) anywhere in range, with random range rates."""
    n = round(severity * MAX_GHOSTS)
    r = rng.uniform(3.0, max_range, n)
    azimuth = rng.uniform(-np.pi, np.pi, n)
    return np.column_stack(
        [
            r * np.cos(azimuth),
            r * np.sin(azimuth),
            rng.normal(0.5, 1.0, n),
            rng.normal(5.0, 5.0, n),
            rng.uniform(-15.0, 15.0, n),
        ]
    ).astype(np.float32)


def knocked_pose(T_ego_sensor: np.ndarray, severity: float) -> np.ndarray:
    """Where a sensor knocked out of its mounting really sits: turned by ``MISALIGN_YAW_DEG``
    about the vertical through its origin and moved ``MISALIGN_OFFSET_M`` to the car's left,
    both times severity. Its calibration still says ``T_ego_sensor``."""
    yaw = math.radians(MISALIGN_YAW_DEG * severity)
    c, s = math.cos(yaw), math.sin(yaw)
    knocked = np.array(T_ego_sensor, dtype=float)
    knocked[:3, :3] = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]) @ knocked[:3, :3]
    knocked[:3, 3] += (0.0, MISALIGN_OFFSET_M * severity, 0.0)
    return knocked


def reframe(points: np.ndarray, T_ego_from: np.ndarray, T_ego_to: np.ndarray) -> np.ndarray:
    """Points whose first three columns are x, y, z in one sensor frame, in another frame.

    A knocked range sensor reports the world in its own, moved frame: ``reframe(points,
    nominal, knocked_pose(nominal, s))``. The rays still sample the world from the nominal
    pose; for errors this small, what they hit is the same.
    """
    T = np.linalg.inv(T_ego_to) @ T_ego_from
    moved = points.copy()
    moved[:, :3] = points[:, :3] @ T[:3, :3].T + T[:3, 3]
    return moved
