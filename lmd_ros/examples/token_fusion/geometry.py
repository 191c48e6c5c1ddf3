"""Where each token looks, as features the attention can compare: BEV positions and camera rays.

Computed from the calibration and the token layout only, never from sensor data, so inside the
fusion transformer they are constants: LMD puts what they add into the bias stream.
"""

from __future__ import annotations

import math

import torch

AZIMUTH_HARMONICS = 4
POSITION_FREQUENCIES = 3
CELL_FEATURES = 2 * 2 * POSITION_FREQUENCIES + 2 * AZIMUTH_HARMONICS
RAY_FEATURES = 2 * AZIMUTH_HARMONICS + 2 + 2


def _azimuth(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """sin/cos of the first harmonics of the bearing: what a camera ray and a cell share."""
    bearing = torch.atan2(y, x).unsqueeze(-1) * torch.arange(1, AZIMUTH_HARMONICS + 1,
                                                              device=x.device)
    return torch.cat([bearing.sin(), bearing.cos()], -1)


def cell_features(xy: torch.Tensor, half_extent: float) -> torch.Tensor:
    """(…, 2) ego positions (m) → (…, CELL_FEATURES): Fourier features of x, y and bearing."""
    scaled = (xy / half_extent).unsqueeze(-1) * (math.pi * 2.0 ** torch.arange(
        POSITION_FREQUENCIES, device=xy.device))
    fourier = torch.cat([scaled.sin(), scaled.cos()], -1).flatten(-2)
    return torch.cat([fourier, _azimuth(xy[..., 0], xy[..., 1])], -1)


def ray_features(direction: torch.Tensor, origin: torch.Tensor,
                 half_extent: float) -> torch.Tensor:
    """(…, 3) ego ray directions from (…, 3) camera origins → (…, RAY_FEATURES): bearing
    harmonics, elevation and the camera's position."""
    horizontal = direction[..., :2].norm(dim=-1).clamp(min=1e-6)
    elevation = (direction[..., 2] / horizontal).unsqueeze(-1)
    return torch.cat([_azimuth(direction[..., 0], direction[..., 1]), elevation,
                      elevation.abs(), origin[..., :2] / half_extent], -1)


def lattice(x_range: tuple[float, float], y_range: tuple[float, float], rows: int,
            cols: int) -> torch.Tensor:
    """(rows·cols, 2) centres of a rows x cols lattice over the square, row-major (row = x)."""
    x = x_range[0] + (torch.arange(rows) + 0.5) * (x_range[1] - x_range[0]) / rows
    y = y_range[0] + (torch.arange(cols) + 0.5) * (y_range[1] - y_range[0]) / cols
    return torch.stack(torch.meshgrid(x, y, indexing="ij"), -1).reshape(-1, 2)
