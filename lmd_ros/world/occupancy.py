"""Bird's-eye-view occupancy targets rasterised from ground-truth boxes."""

from __future__ import annotations

import numpy as np

from lmd_ros.sensors import GroundTruth
from lmd_ros.world.config import CLASS_NAMES


def bev_occupancy(
    gt: GroundTruth,
    x_range: tuple[float, float] = (-24.0, 24.0),
    y_range: tuple[float, float] = (-24.0, 24.0),
    resolution: float = 0.75,
) -> np.ndarray:
    """(len(CLASS_NAMES), H, W) float32 in {0, 1}: which BEV cells each class occupies.

    Axis convention: row i covers ego x (forward) in [x_min + i res, x_min + (i+1) res), column
    j covers ego y (left) in [y_min + j res, y_min + (j+1) res). So row 0 is the rearmost strip
    and column 0 the rightmost. A cell is occupied when its centre lies inside a box footprint;
    the cell holding a box centre always is, so a pedestrian smaller than a cell is not lost.
    """
    h = round((x_range[1] - x_range[0]) / resolution)
    w = round((y_range[1] - y_range[0]) / resolution)
    occupancy = np.zeros((len(CLASS_NAMES), h, w), dtype=np.float32)
    xs = x_range[0] + (np.arange(h) + 0.5) * resolution
    ys = y_range[0] + (np.arange(w) + 0.5) * resolution
    cx, cy = np.meshgrid(xs, ys, indexing="ij")
    for box, cls in zip(gt.boxes, gt.classes, strict=True):
        x, y, _, length, width, _, yaw = box
        dx, dy = cx - x, cy - y
        along = np.cos(yaw) * dx + np.sin(yaw) * dy
        across = -np.sin(yaw) * dx + np.cos(yaw) * dy
        inside = (np.abs(along) <= length / 2) & (np.abs(across) <= width / 2)
        row = int(np.floor((x - x_range[0]) / resolution))
        col = int(np.floor((y - y_range[0]) / resolution))
        if 0 <= row < h and 0 <= col < w:
            inside[row, col] = True
        occupancy[cls][inside] = 1.0
    return occupancy
