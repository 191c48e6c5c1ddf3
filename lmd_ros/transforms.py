"""Static transforms as a tree of frames (what ``/tf_static`` carries), without tf2.

Each edge is ``T_parent_child`` (a 4x4 that maps child-frame points into the parent frame); a
lookup composes edges along the path between two frames, inverting the ones walked upwards.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class StaticTransform:
    parent: str
    child: str
    T_parent_child: np.ndarray


def transform_matrix(translation: tuple[float, float, float],
                     rotation_xyzw: tuple[float, float, float, float]) -> np.ndarray:
    """4x4 from a translation and a unit quaternion (x, y, z, w), as geometry_msgs carries."""
    x, y, z, w = np.asarray(rotation_xyzw, np.float64) / np.linalg.norm(rotation_xyzw)
    R = np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = R, translation
    return T


class TransformTree:
    """The latest transform of every (parent, child) edge; lookups by breadth-first search."""

    def __init__(self) -> None:
        self._edges: dict[str, dict[str, np.ndarray]] = {}

    def add(self, transform: StaticTransform) -> None:
        T = np.asarray(transform.T_parent_child, np.float64)
        self._edges.setdefault(transform.parent, {})[transform.child] = T
        self._edges.setdefault(transform.child, {})[transform.parent] = np.linalg.inv(T)

    def lookup(self, target: str, source: str) -> np.ndarray | None:
        """``T_target_source``, or None when the frames are not connected."""
        if target == source:
            return np.eye(4)
        found: dict[str, np.ndarray] = {target: np.eye(4)}
        queue = deque([target])
        while queue:
            frame = queue.popleft()
            for neighbour, T_frame_neighbour in self._edges.get(frame, {}).items():
                if neighbour not in found:
                    found[neighbour] = found[frame] @ T_frame_neighbour
                    if neighbour == source:
                        return found[neighbour]
                    queue.append(neighbour)
        return None


def quaternion_xyzw(R: np.ndarray) -> tuple[float, float, float, float]:
    """The unit quaternion (x, y, z, w) of a rotation matrix (Shepperd's method: stable)."""
    R = np.asarray(R, np.float64)[:3, :3]
    trace = np.trace(R)
    if trace > 0:
        s = 2.0 * np.sqrt(1.0 + trace)
        q = ((R[2, 1] - R[1, 2]) / s, (R[0, 2] - R[2, 0]) / s, (R[1, 0] - R[0, 1]) / s, s / 4)
    else:
        i = int(np.argmax(np.diag(R)))
        j, k = (i + 1) % 3, (i + 2) % 3
        s = 2.0 * np.sqrt(1.0 + R[i, i] - R[j, j] - R[k, k])
        q = [0.0, 0.0, 0.0, (R[k, j] - R[j, k]) / s]
        q[i], q[j], q[k] = s / 4, (R[j, i] + R[i, j]) / s, (R[k, i] + R[i, k]) / s
    return tuple(float(v) for v in q)
