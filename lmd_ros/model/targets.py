"""Training targets on the model's BEV grid, from the world's ground truth."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from lmd_ros.model.bev_head import REGRESSION_CHANNELS
from lmd_ros.model.config import ModelConfig
from lmd_ros.sensors import GroundTruth
from lmd_ros.world import CLASS_NAMES, bev_occupancy


@dataclass
class Targets:
    """``heatmap`` (B, K, X, Y): Gaussians peaking at exactly 1 on each object's centre cell.
    ``regression`` (B, 6, X, Y) and ``centre_mask`` (B, 1, X, Y): box targets at centre cells.
    ``segmentation`` (B, 1, X, Y): occupancy of the segmentation class.
    """

    heatmap: torch.Tensor
    regression: torch.Tensor
    centre_mask: torch.Tensor
    segmentation: torch.Tensor


def make_targets(truths: Sequence[GroundTruth], config: ModelConfig) -> Targets:
    """Targets for a batch; objects whose centre falls outside the grid are left out."""
    if tuple(config.class_names) != CLASS_NAMES:
        raise ValueError(f"model classes {config.class_names} differ from the world's "
                         f"{CLASS_NAMES}")
    per_frame = [_frame_targets(gt, config) for gt in truths]
    return Targets(*(torch.from_numpy(np.stack(parts)) for parts in zip(*per_frame, strict=True)))


def _frame_targets(gt: GroundTruth, config: ModelConfig) -> tuple[np.ndarray, ...]:
    n_x, n_y = config.grid_shape
    heatmap = np.zeros((len(config.class_names), n_x, n_y), np.float32)
    regression = np.zeros((len(REGRESSION_CHANNELS), n_x, n_y), np.float32)
    centre_mask = np.zeros((1, n_x, n_y), np.float32)
    rows, cols, inside = config.cell_of(gt.boxes[:, 0], gt.boxes[:, 1])
    grid_rows, grid_cols = np.meshgrid(np.arange(n_x), np.arange(n_y), indexing="ij")
    for box, class_id, row, col in zip(gt.boxes[inside], gt.classes[inside], rows[inside],
                                       cols[inside], strict=True):
        squared = (grid_rows - row) ** 2 + (grid_cols - col) ** 2
        gaussian = np.exp(-squared / (2 * config.heatmap_sigma**2))
        np.maximum(heatmap[class_id], gaussian, out=heatmap[class_id])
        x, y, _, length, width, _, yaw = box
        centre_x, centre_y = config.cell_centre(row, col)
        regression[:, row, col] = (x - centre_x, y - centre_y, np.log(length), np.log(width),
                                   np.sin(yaw), np.cos(yaw))
        centre_mask[0, row, col] = 1.0
    occupancy = bev_occupancy(gt, x_range=config.x_range, y_range=config.y_range,
                              resolution=config.resolution)
    segmentation = occupancy[CLASS_NAMES.index(config.segmentation_class)][None]
    return heatmap, regression, centre_mask, segmentation.astype(np.float32)
