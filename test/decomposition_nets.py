"""Whole fusion architectures, tiny, for the decomposition tests (float64, eval, random weights).

Each ``make_*`` returns ``(model, inputs, modalities)`` with ``model(*inputs)`` its forward.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

DTYPE = torch.float64


class Fn(nn.Module):
    """A module around a function: the smallest model to decompose."""

    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, *inputs: torch.Tensor, **named: torch.Tensor) -> torch.Tensor:
        return self.fn(*inputs, **named)


def randomized(model: nn.Module, seed: int) -> nn.Module:
    """Eval mode, float64, and BatchNorm statistics that are not the identity."""
    generator = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d | nn.BatchNorm3d):
            module.running_mean.uniform_(-0.5, 0.5, generator=generator)
            module.running_var.uniform_(0.5, 2.0, generator=generator)
            module.weight.data.uniform_(0.5, 1.5, generator=generator)
            module.bias.data.uniform_(-0.5, 0.5, generator=generator)
    return model.eval().to(DTYPE)


class ResidualBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True), nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False),
            nn.BatchNorm2d(c_out))
        self.skip = nn.Conv2d(c_in, c_out, 1, stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)
        out += self.skip(x)
        return F.relu(out)


class BevDecoder(nn.Module):
    """From the fusion point on: compressor (conv, IN, GELU), ResNet blocks, a bilinear
    up-block with a skip, and a conv-IN-ReLU-conv head."""

    def __init__(self, c_in: int) -> None:
        super().__init__()
        self.compressor = nn.Sequential(nn.Conv2d(c_in, 8, 3, padding=1, bias=False),
                                        nn.InstanceNorm2d(8), nn.GELU())
        self.block1 = ResidualBlock(8, 8, 1)
        self.block2 = ResidualBlock(8, 12, 2)
        self.up = nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear"),
                                nn.Conv2d(12, 8, 1, bias=False), nn.InstanceNorm2d(8))
        self.head = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, bias=False),
                                  nn.InstanceNorm2d(8, affine=True), nn.ReLU(),
                                  nn.Conv2d(8, 3, 1))

    def forward(self, camera: torch.Tensor, radar: torch.Tensor) -> dict[str, torch.Tensor]:
        x = self.compressor(torch.cat([camera, radar], 1))
        skip = self.block1(x)
        x = self.up(self.block2(skip)) + skip
        logits = self.head(x)
        return {"segmentation": logits[:, :1], "boxes": logits[:, 1:]}


class SimpleBevShaped(nn.Module):
    """Camera encoder + grid_sample lifting averaged over cameras, a radar raster, then the
    ``BevDecoder`` (whose input is the fusion point)."""

    def __init__(self, cameras: int = 2, bev: int = 8, z_levels: int = 2) -> None:
        super().__init__()
        self.cameras, self.bev, self.z_levels = cameras, bev, z_levels
        self.encoder = nn.Sequential(nn.Conv2d(3, 4, 3, 2, 1, bias=False), nn.BatchNorm2d(4),
                                     nn.ReLU(), nn.Conv2d(4, 4, 1))
        grid = torch.rand(cameras, z_levels * bev, bev, 2, generator=torch.Generator()
                          .manual_seed(3)) * 2.2 - 1.1
        self.register_buffer("grid", grid)
        self.decoder = BevDecoder(4 * z_levels + 3)

    def forward(self, images: torch.Tensor, radar: torch.Tensor) -> dict[str, torch.Tensor]:
        features = self.encoder(images.flatten(0, 1))
        sampled = F.grid_sample(features, self.grid.repeat(images.shape[0], 1, 1, 1),
                                align_corners=False)
        camera = sampled.unflatten(0, images.shape[:2]).mean(1)
        camera = camera.unflatten(2, (self.z_levels, self.bev)).flatten(1, 2)
        return self.decoder(camera, radar)


def make_simple_bev(seed: int = 0) -> tuple[nn.Module, tuple[torch.Tensor, ...], dict]:
    torch.manual_seed(seed)
    model = randomized(SimpleBevShaped(), seed)
    images = torch.randn(1, 2, 3, 12, 16, dtype=DTYPE)
    radar = torch.randn(1, 3, 8, 8, dtype=DTYPE)
    return model, (images, radar), {"camera": 0, "radar": 1}


class TransformerFusion(nn.Module):
    """Camera and LiDAR tokens, modality embeddings, a pre-LN transformer block (multi-head
    attention, GELU MLP), a scaled-dot-product cross-attention readout and a linear head."""

    def __init__(self, width: int = 8, heads: int = 2) -> None:
        super().__init__()
        self.embedding = nn.Parameter(torch.randn(2, width))
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.attention = nn.MultiheadAttention(width, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(width, 2 * width), nn.GELU(),
                                 nn.Linear(2 * width, width))
        self.query = nn.Parameter(torch.randn(1, 3, width))
        self.out = nn.Linear(width, 2)

    def forward(self, camera: torch.Tensor, lidar: torch.Tensor) -> torch.Tensor:
        x = torch.cat([camera + self.embedding[0], lidar + self.embedding[1]], 1)
        y = self.norm1(x)
        x = x + self.attention(y, y, y, need_weights=False)[0]
        x = x + self.mlp(self.norm2(x))
        readout = F.scaled_dot_product_attention(self.query.expand(x.shape[0], -1, -1), x, x)
        return self.out(readout)


def make_transformer(seed: int = 0) -> tuple[nn.Module, tuple[torch.Tensor, ...], dict]:
    torch.manual_seed(seed)
    model = randomized(TransformerFusion(), seed)
    camera, lidar = torch.randn(2, 5, 8, dtype=DTYPE), torch.randn(2, 4, 8, dtype=DTYPE)
    return model, (camera, lidar), {"camera": 0, "lidar": 1}


class PointScatter(nn.Module):
    """LiDAR and radar points: a per-point MLP, cells from the coordinates, scatter_add and
    index_add into a BEV grid, a fusing conv."""

    def __init__(self, cells: int = 6, channels: int = 4) -> None:
        super().__init__()
        self.cells, self.channels = cells, channels
        self.lidar_mlp = nn.Sequential(nn.Linear(4, channels), nn.ReLU(), nn.Linear(channels,
                                                                                    channels))
        self.radar_mlp = nn.Sequential(nn.Linear(3, channels), nn.Tanh())
        self.fuse = nn.Conv2d(channels, 2, 3, padding=1)

    def _cells(self, points: torch.Tensor) -> torch.Tensor:
        ij = ((points[:, :2] + 1) / 2 * self.cells).clamp(0, self.cells - 1).long()
        return ij[:, 0] * self.cells + ij[:, 1]

    def forward(self, lidar: torch.Tensor, radar: torch.Tensor) -> torch.Tensor:
        bev = lidar.new_zeros(self.channels, self.cells**2)
        lidar_features = self.lidar_mlp(lidar).T
        bev = bev.scatter_add(1, self._cells(lidar).expand(self.channels, -1), lidar_features)
        bev.index_add_(1, self._cells(radar), self.radar_mlp(radar).T)
        return self.fuse(bev.view(1, self.channels, self.cells, self.cells))


def make_point_scatter(seed: int = 0) -> tuple[nn.Module, tuple[torch.Tensor, ...], dict]:
    torch.manual_seed(seed)
    model = randomized(PointScatter(), seed)
    lidar = torch.rand(20, 4, dtype=DTYPE) * 2 - 1
    radar = torch.rand(7, 3, dtype=DTYPE) * 2 - 1
    return model, (lidar, radar), {"lidar": 0, "radar": 1}


ARCHITECTURES = {"simple_bev": make_simple_bev, "transformer": make_transformer,
                 "point_scatter": make_point_scatter}
