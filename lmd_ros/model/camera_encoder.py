"""Image features for lifting: a small strided conv net; its output counts wholly as camera."""

from __future__ import annotations

import math

import torch
from torch import nn


def _conv_bn_relu(in_channels: int, out_channels: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
    )


class CameraEncoder(nn.Module):
    """(N, 3, H, W) normalised images -> (N, out_channels, H / stride, W / stride) features."""

    def __init__(self, out_channels: int, stride: int, width: int = 32) -> None:
        super().__init__()
        n_down = round(math.log2(stride))
        if 2**n_down != stride or n_down < 1:
            raise ValueError(f"camera stride must be a power of two >= 2, got {stride}")
        widths = [3] + [width // 2 ** (n_down - 1 - i) for i in range(n_down)]
        self.layers = nn.Sequential(
            *[_conv_bn_relu(widths[i], widths[i + 1], 2) for i in range(n_down)],
            _conv_bn_relu(width, width, 1),
            _conv_bn_relu(width, width, 1),
            nn.Conv2d(width, out_channels, 1),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.layers(images)
