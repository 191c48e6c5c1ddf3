"""Several LiDARs (or radars) as one cloud, and the vehicle's own body cut out of it.

A model sees one cloud per sensor kind, in the frame of the kind's first calibrated sensor
(``rig.lidar`` / ``rig.radar``): every sensor's points go to the ego frame through its own
extrinsics, points inside the ego crop box (self-returns of the car's body) are dropped, and
the rest are expressed in the first sensor's frame, where preprocessing expects them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from lmd_ros.sensors import SensorCalibration


def merge_clouds(clouds: Mapping[str, np.ndarray], sensors: Sequence[SensorCalibration],
                 ego_crop: Sequence[float] = ()) -> np.ndarray | None:
    """One (N, F) cloud in ``sensors[0]``'s frame from the clouds of calibrated ``sensors``
    (by name); None when none of them delivered one. ``ego_crop``: ``[x_min, x_max, y_min,
    y_max, z_min, z_max]`` in ego, or empty."""
    delivered = [(s, clouds[s.name]) for s in sensors if clouds.get(s.name) is not None]
    if not delivered:
        return None
    primary = sensors[0]
    if len(delivered) == 1 and delivered[0][0] is primary and not ego_crop:
        return delivered[0][1]
    to_primary = np.linalg.inv(np.asarray(primary.T_ego_sensor, np.float64))
    parts = []
    for sensor, points in delivered:
        ego = _transformed(points[:, :3], sensor.T_ego_sensor)
        if ego_crop:
            lo, hi = np.asarray(ego_crop[::2]), np.asarray(ego_crop[1::2])
            keep = ~((ego >= lo) & (ego <= hi)).all(axis=1)
            ego, points = ego[keep], points[keep]
        merged = points.copy()
        merged[:, :3] = _transformed(ego, to_primary)
        parts.append(merged)
    return np.concatenate(parts).astype(np.float32, copy=False)


def _transformed(xyz: np.ndarray, T: np.ndarray) -> np.ndarray:
    T = np.asarray(T, np.float64)
    return xyz.astype(np.float64) @ T[:3, :3].T + T[:3, 3]
