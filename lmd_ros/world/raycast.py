"""Rays against the flat ground (z = 0) and yawed boxes: the one geometry every sensor shares."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lmd_ros.world.objects import Objects

NO_OBJECT = -1


@dataclass(frozen=True)
class Hits:
    """Where each ray stops first. ``distance`` is inf for rays that hit nothing.

    ``obj`` indexes the objects (``NO_OBJECT`` for ground or nothing); ``normal`` (N, 3) is
    the unit surface normal in ego at the hit ((0, 0, 1) on the ground).
    """

    distance: np.ndarray
    obj: np.ndarray
    normal: np.ndarray

    def points(self, origin: np.ndarray, directions: np.ndarray) -> np.ndarray:
        """Hit points in ego; rays that hit nothing give the origin."""
        reached = np.where(np.isfinite(self.distance), self.distance, 0.0)
        return origin + directions * reached[:, None]


def cast(origin: np.ndarray, directions: np.ndarray, objects: Objects) -> Hits:
    """First hit of each ray from ``origin`` (3,) along unit ``directions`` (N, 3), in ego.

    Each box is only tested against the rays inside the cone around its bounding sphere,
    which keeps the cost near the number of rays that actually land on objects.
    """
    n = len(directions)
    with np.errstate(divide="ignore"):
        distance = np.where(directions[:, 2] < 0, -origin[2] / directions[:, 2], np.inf)
    obj = np.full(n, NO_OBJECT)
    normal = np.zeros((n, 3))
    normal[:, 2] = 1.0
    if not len(objects):
        return Hits(distance, obj, normal)
    to_centre = objects.boxes[:, :3] - origin
    centre_distance = np.linalg.norm(to_centre, axis=1)
    radius = np.linalg.norm(objects.boxes[:, 3:6], axis=1) / 2
    cone = np.sqrt(1 - np.minimum(radius / centre_distance, 1.0) ** 2)
    cosines = directions @ (to_centre / centre_distance[:, None]).T
    for k, box in enumerate(objects.boxes):
        rays = np.flatnonzero(cosines[:, k] >= cone[k])
        if not len(rays):
            continue
        t, local_normal = _slab(origin, directions[rays], box)
        closer = t < distance[rays]
        rays, t, local_normal = rays[closer], t[closer], local_normal[closer]
        distance[rays] = t
        obj[rays] = k
        c, s = np.cos(box[6]), np.sin(box[6])
        normal[rays] = np.column_stack(
            [
                c * local_normal[:, 0] - s * local_normal[:, 1],
                s * local_normal[:, 0] + c * local_normal[:, 1],
                local_normal[:, 2],
            ]
        )
    return Hits(distance, obj, normal)


def _slab(origin: np.ndarray, directions: np.ndarray, box: np.ndarray) -> tuple[np.ndarray, ...]:
    """Entry distance (inf on a miss) and entry-face normal in box axes, for one box."""
    c, s = np.cos(box[6]), np.sin(box[6])
    rel = origin - box[:3]
    o = (c * rel[0] + s * rel[1], -s * rel[0] + c * rel[1], rel[2])
    d = (
        c * directions[:, 0] + s * directions[:, 1],
        -s * directions[:, 0] + c * directions[:, 1],
        directions[:, 2],
    )
    near, far = [], []
    for axis in range(3):
        half = box[3 + axis] / 2
        inv = 1.0 / np.where(np.abs(d[axis]) < 1e-12, 1e-12, d[axis])
        t1, t2 = (-half - o[axis]) * inv, (half - o[axis]) * inv
        near.append(np.minimum(t1, t2))
        far.append(np.maximum(t1, t2))
    t_near = np.maximum(np.maximum(near[0], near[1]), near[2])
    t_far = np.minimum(np.minimum(far[0], far[1]), far[2])
    t = np.where((t_near <= t_far) & (t_near > 0), t_near, np.inf)
    entry_axis = np.argmax(np.stack(near, axis=1), axis=1)
    local_normal = np.zeros((len(directions), 3))
    rows = np.arange(len(directions))
    local_normal[rows, entry_axis] = -np.sign(np.stack(d, axis=1)[rows, entry_axis])
    return t, local_normal
