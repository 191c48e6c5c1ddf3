"""The state of every object at one instant, as parallel arrays (one row per object)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np


@dataclass(frozen=True)
class Objects:
    """Boxes in the ego frame plus the appearance each sensor needs to see them.

    ``boxes`` (K, 7): x, y, z (centre), l, w, h, yaw. ``velocities`` (K, 2): vx, vy over
    ground, in ego axes. ``colours`` (K, 3) RGB in [0, 1]. ``reflectivity`` (K,) LiDAR
    return strength in [0, 1]. ``rcs`` (K,) mean radar cross-section in dBsm.
    """

    boxes: np.ndarray
    classes: np.ndarray
    velocities: np.ndarray
    colours: np.ndarray
    reflectivity: np.ndarray
    rcs: np.ndarray

    def __len__(self) -> int:
        return len(self.boxes)

    def select(self, mask: np.ndarray) -> Objects:
        """The objects where ``mask`` (boolean or index array) selects them."""
        return Objects(*(getattr(self, f.name)[mask] for f in fields(self)))

    @staticmethod
    def from_boxes(boxes: np.ndarray, classes: np.ndarray) -> Objects:
        """Still, mid-grey objects: for scenes built by hand (tests, examples)."""
        boxes = np.asarray(boxes, dtype=float).reshape(-1, 7)
        k = len(boxes)
        return Objects(
            boxes=boxes,
            classes=np.asarray(classes, dtype=np.int64).reshape(k),
            velocities=np.zeros((k, 2)),
            colours=np.full((k, 3), 0.5),
            reflectivity=np.full(k, 0.5),
            rcs=np.zeros(k),
        )

    def corners(self) -> np.ndarray:
        """(K, 8, 3) box corners in ego."""
        signs = np.array(np.meshgrid([-1, 1], [-1, 1], [-1, 1], indexing="ij")).reshape(3, 8).T
        local = 0.5 * signs[None] * self.boxes[:, None, 3:6]
        c, s = np.cos(self.boxes[:, 6])[:, None], np.sin(self.boxes[:, 6])[:, None]
        x = c * local[..., 0] - s * local[..., 1]
        y = s * local[..., 0] + c * local[..., 1]
        return np.stack([x, y, local[..., 2]], axis=-1) + self.boxes[:, None, :3]
