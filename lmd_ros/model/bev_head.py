"""Everything after the fusion point: the part of the network that LMD decomposes.

Topology of the authors' SimpleBEV reference, shrunk: concatenation (fusion point) -> compressor
conv3x3 (no bias) + InstanceNorm (no affine) + GELU -> ResNet-style trunk (BatchNorm + ReLU basic
blocks, strided stages, no max-pool) -> bilinear-upsample + 1x1 conv + InstanceNorm up-blocks
with skips -> heads conv3x3 -> InstanceNorm -> ReLU -> 1x1 conv with bias. Only standard torch
ops, none in place, so the decomposition engine can intercept every one.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from lmd_ros.model.config import ModelConfig

REGRESSION_CHANNELS = ("dx", "dy", "log_l", "log_w", "sin_yaw", "cos_yaw")
"""Box regression at a centre cell: offset (m) from the cell centre, log size (m), yaw."""

HEATMAP_PRIOR = 0.1
"""Initial centre probability everywhere, so the focal loss starts calm (CenterNet)."""


class BasicBlock(nn.Module):
    """ResNet basic block; a strided one also projects its shortcut (1x1 conv + BatchNorm)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()
        self.shortcut = nn.Identity() if stride == 1 and in_channels == out_channels else \
            nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                          nn.BatchNorm2d(out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


class UpsampleAdd(nn.Module):
    """SimpleBEV's up-block: bilinear x2, 1x1 conv, InstanceNorm, then add the skip."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.up = nn.Sequential(
            nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.InstanceNorm2d(out_channels),
        )

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return self.up(x) + skip


def _output_head(channels: int, outputs: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(channels, channels, 3, padding=1, bias=False),
        nn.InstanceNorm2d(channels),
        nn.ReLU(),
        nn.Conv2d(channels, outputs, 1, bias=True),
    )


class BEVHead(nn.Module):
    """Per-modality BEV tensors (``config.modalities`` order) -> logits and box regression."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        widths = config.bev_channels
        self.compressor = nn.Sequential(
            nn.Conv2d(sum(config.modality_channels.values()), widths[0], 3, padding=1,
                      bias=False),
            nn.InstanceNorm2d(widths[0]),
            nn.GELU(),
        )
        self.stages = nn.ModuleList(
            [BasicBlock(widths[0], widths[0], 1)]
            + [BasicBlock(widths[i - 1], widths[i], 2) for i in range(1, len(widths))])
        self.up_blocks = nn.ModuleList(
            [UpsampleAdd(widths[i], widths[i - 1]) for i in range(len(widths) - 1, 0, -1)])
        self.segmentation = _output_head(widths[0], 1)
        self.heatmap = _output_head(widths[0], len(config.class_names))
        self.regression = _output_head(widths[0], len(REGRESSION_CHANNELS))
        nn.init.constant_(self.heatmap[-1].bias, math.log(HEATMAP_PRIOR / (1 - HEATMAP_PRIOR)))

    def forward(self, *modality_bevs: torch.Tensor) -> dict[str, torch.Tensor]:
        x = self.compressor(torch.cat(modality_bevs, dim=1))
        skips = []
        for stage in self.stages:
            x = stage(x)
            skips.append(x)
        for up_block, skip in zip(self.up_blocks, reversed(skips[:-1]), strict=True):
            x = up_block(x, skip)
        return {
            "segmentation": self.segmentation(x),
            "heatmap": self.heatmap(x),
            "regression": self.regression(x),
        }
