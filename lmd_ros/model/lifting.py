"""Parameter-free lifting of image features to BEV, as in SimpleBEV.

Every voxel centre of the (Z, X, Y) grid is projected into every camera; the feature there is
bilinearly sampled, averaged over the cameras that see the voxel, and Z is folded into channels.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from lmd_ros.model.config import ModelConfig

MIN_DEPTH = 0.1
"""Voxels closer than this to a camera's image plane (m) or behind it are not seen by it."""


def voxel_centres(config: ModelConfig) -> torch.Tensor:
    """(Z, X, Y, 4) homogeneous ego coordinates of the lifting voxels."""
    n_x, n_y = config.grid_shape
    xs, ys = config.cell_centre(torch.arange(n_x, dtype=torch.float64),
                                torch.arange(n_y, dtype=torch.float64))
    zs = torch.tensor(config.z_levels, dtype=torch.float64)
    z, x, y = torch.meshgrid(zs, xs, ys, indexing="ij")
    return torch.stack([x, y, z, torch.ones_like(x)], dim=-1)


def project(points: torch.Tensor, projections: torch.Tensor, image_size: tuple[int, int]
            ) -> tuple[torch.Tensor, torch.Tensor]:
    """Pixel coordinates and visibility of ego points in each camera.

    ``points``: (..., 4) homogeneous ego points; ``projections``: (B, N, 3, 4).
    Returns ``uv`` (B, N, ..., 2) and ``visible`` (B, N, ...). Pixel column j spans
    u in [j, j + 1), row i spans v in [i, i + 1): the convention the world renders with.
    """
    height, width = image_size
    flat = points.reshape(-1, 4).to(projections.dtype)
    pixels = torch.einsum("bnij,pj->bnpi", projections, flat)
    depth = pixels[..., 2]
    uv = pixels[..., :2] / depth.clamp(min=MIN_DEPTH).unsqueeze(-1)
    visible = ((depth > MIN_DEPTH) & (uv[..., 0] >= 0) & (uv[..., 0] <= width)
               & (uv[..., 1] >= 0) & (uv[..., 1] <= height))
    shape = projections.shape[:2] + points.shape[:-1]
    return uv.reshape(*shape, 2), visible.reshape(shape)


class CameraLifting(nn.Module):
    """(B, N, C, h, w) camera features -> (B, C * Z, X, Y) BEV features; no parameters."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.image_size = (config.image_height, config.image_width)
        self.register_buffer("voxels", voxel_centres(config).float(), persistent=False)

    def forward(self, features: torch.Tensor, projections: torch.Tensor,
                camera_valid: torch.Tensor) -> torch.Tensor:
        batch, n_cams, channels = features.shape[:3]
        n_z, n_x, n_y = self.voxels.shape[:3]
        uv, visible = project(self.voxels, projections, self.image_size)
        height, width = self.image_size
        # grid_sample with align_corners=False: -1 and 1 are the outer edges of the image
        grid = torch.stack([2 * uv[..., 0] / width - 1, 2 * uv[..., 1] / height - 1], dim=-1)
        sampled = F.grid_sample(features.flatten(0, 1),
                                grid.reshape(batch * n_cams, n_z * n_x, n_y, 2),
                                mode="bilinear", padding_mode="zeros", align_corners=False)
        sampled = sampled.reshape(batch, n_cams, channels, n_z, n_x, n_y)
        weight = (visible.to(features.dtype)
                  * camera_valid.to(features.dtype)[:, :, None, None, None]).unsqueeze(2)
        bev = (sampled * weight).sum(dim=1) / weight.sum(dim=1).clamp(min=1.0)
        return bev.reshape(batch, channels * n_z, n_x, n_y)
