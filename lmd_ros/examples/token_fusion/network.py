"""The token-fusion network: per-sensor tokenisers, then one transformer over all tokens with
DETR-style object queries decoded into class logits and boxes (no BEV map, no heatmap).

``fusion`` is the fusion point: it takes each sensor's tokens as its own argument, so LMD
started there splits every query's class logit into camera + radar + LiDAR + bias.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from lmd_ros.examples.token_fusion.config import TokenFusionConfig
from lmd_ros.examples.token_fusion.geometry import (
    CELL_FEATURES,
    RAY_FEATURES,
    cell_features,
    lattice,
    ray_features,
)
from lmd_ros.examples.token_fusion.inputs import TokenInputs
from lmd_ros.examples.token_fusion.locality import TokenPlaces, attention_bias

BOX_FIELDS = 6
"""Per query: dx, dy (in query spacings from its reference point), log l, log w, sin, cos yaw."""
PRIOR_PROBABILITY = 0.01
"""Initial class probability of every query (focal-loss prior)."""


def _conv(inputs: int, outputs: int, stride: int) -> nn.Conv2d:
    return nn.Conv2d(inputs, outputs, 3, stride=stride, padding=1)


def _embedding(features: int, width: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(features, width), nn.GELU(), nn.Linear(width, width))


class CameraTokens(nn.Module):
    """Images → one token per 16 x 16 patch of every camera, with the patch's ray in ego."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.stem = nn.Sequential(_conv(3, 16, 2), nn.GELU(), _conv(16, 32, 2), nn.GELU(),
                                  _conv(32, 48, 2), nn.GELU(), _conv(48, width, 2))

    def forward(self, inputs: TokenInputs) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(B, N·h·w, D) tokens (zero for an absent camera), (N·h·w, 6) rays in ego (direction,
        then origin), (B, N·h·w) absent flags."""
        batch, cameras, _, height, width = inputs.images.shape
        features = self.stem(inputs.images.flatten(0, 1))
        rows, cols = features.shape[-2:]
        present = inputs.camera_present.repeat_interleave(rows * cols, dim=1)
        tokens = features.flatten(2).transpose(1, 2).reshape(batch, cameras * rows * cols, -1)
        u = (torch.arange(cols, device=tokens.device) + 0.5) * width / cols
        v = (torch.arange(rows, device=tokens.device) + 0.5) * height / rows
        pixels = torch.stack([*torch.meshgrid(v, u, indexing="ij")[::-1],
                              torch.ones(rows, cols, device=tokens.device)], -1).reshape(-1, 3)
        directions = torch.einsum("nij,pj->npi", inputs.pixel_to_ray, pixels)
        origins = inputs.camera_origin[:, None].expand_as(directions)
        rays = torch.cat([directions, origins], -1).reshape(cameras * rows * cols, 6)
        return tokens * present[..., None], rays, present == 0


class CellTokens(nn.Module):
    """A point raster → one token per 8 x 8 raster cells (6 m at the default grid)."""

    def __init__(self, channels: int, width: int) -> None:
        super().__init__()
        self.stem = nn.Sequential(_conv(channels, 32, 1), nn.GELU(), _conv(32, 48, 2),
                                  nn.GELU(), _conv(48, 64, 2), nn.GELU(), _conv(64, width, 2))

    def forward(self, raster: torch.Tensor, present: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor, tuple[int, int]]:
        """(B, h·w, D) tokens (zero when absent), (B, h·w) absent flags, (h, w)."""
        features = self.stem(raster)
        rows, cols = features.shape[-2:]
        tokens = features.flatten(2).transpose(1, 2) * present[:, None, None]
        return tokens, (present == 0)[:, None].expand(-1, rows * cols), (rows, cols)


def _layer_options(config: TokenFusionConfig) -> dict:
    return {"d_model": config.width, "nhead": config.heads,
            "dim_feedforward": config.feedforward, "dropout": 0.0, "activation": "gelu",
            "batch_first": True, "norm_first": True}


class FusionTransformer(nn.Module):
    """The fusion point: all tokens in one sequence, self-attention, then object queries that
    cross-attend to it. Absent sensors' tokens are masked out of every attention."""

    def __init__(self, config: TokenFusionConfig) -> None:
        super().__init__()
        width = config.width
        self.half_extent = max(map(abs, (*config.x_range, *config.y_range)))
        self.ray_position = _embedding(RAY_FEATURES, width)
        self.cell_position = _embedding(CELL_FEATURES, width)
        self.sensor_embedding = nn.Parameter(torch.zeros(3, width))
        self.register_token = nn.Parameter(torch.randn(1, 1, width) * 0.02)
        """Always present, so attention never runs over an empty set (every sensor silent)."""
        self.encoder = nn.ModuleList(nn.TransformerEncoderLayer(**_layer_options(config))
                                     for _ in range(config.encoder_layers))
        self.decoder = nn.ModuleList(nn.TransformerDecoderLayer(**_layer_options(config))
                                     for _ in range(config.decoder_layers))
        self.register_buffer("query_xy", lattice(config.x_range, config.y_range,
                                                 config.query_grid, config.query_grid))
        self.query_content = nn.Parameter(torch.randn(config.query_grid ** 2, width) * 0.02)
        self.norm = nn.LayerNorm(width)
        self.class_head = nn.Linear(width, len(config.class_names))
        nn.init.constant_(self.class_head.bias, -math.log((1 - PRIOR_PROBABILITY)
                                                          / PRIOR_PROBABILITY))
        self.box_head = nn.Sequential(nn.Linear(width, width), nn.GELU(),
                                      nn.Linear(width, BOX_FIELDS))

    def forward(self, camera: torch.Tensor, radar: torch.Tensor, lidar: torch.Tensor, *,
                camera_rays: torch.Tensor, radar_cells: torch.Tensor, lidar_cells: torch.Tensor,
                camera_absent: torch.Tensor, radar_absent: torch.Tensor,
                lidar_absent: torch.Tensor) -> dict[str, torch.Tensor]:
        """``camera``/``radar``/``lidar``: (B, T_m, D) tokens, one argument per modality;
        the rest is geometry and masks. Returns (B, Q, C) ``logits`` and (B, Q, 6) ``boxes``."""
        half = self.half_extent
        positions = torch.cat([
            self.ray_position(ray_features(camera_rays[:, :3], camera_rays[:, 3:], half))
            + self.sensor_embedding[0],
            self.cell_position(cell_features(radar_cells, half)) + self.sensor_embedding[1],
            self.cell_position(cell_features(lidar_cells, half)) + self.sensor_embedding[2]])
        batch = camera.shape[0]
        tokens = torch.cat([self.register_token.expand(batch, -1, -1),
                            torch.cat([camera, radar, lidar], 1) + positions], 1)
        absent = torch.cat([camera_absent.new_zeros(batch, 1), camera_absent, radar_absent,
                            lidar_absent], 1)
        padding = torch.zeros(absent.shape, dtype=tokens.dtype,
                              device=tokens.device).masked_fill(absent, -math.inf)
        places = TokenPlaces.join(TokenPlaces.nowhere(1, radar_cells),
                                  TokenPlaces.rays(camera_rays[:, :3]),
                                  TokenPlaces.cells(radar_cells), TokenPlaces.cells(lidar_cells))
        heads = self.encoder[0].self_attn.num_heads if self.encoder else 1
        token_bias = attention_bias(places, places, heads, batch)
        for layer in self.encoder:
            tokens = layer(tokens, src_mask=token_bias, src_key_padding_mask=padding)
        query_bias = attention_bias(TokenPlaces.cells(self.query_xy), places,
                                    self.decoder[0].multihead_attn.num_heads, batch)
        queries = (self.query_content + self.cell_position(
            cell_features(self.query_xy, half))).expand(batch, -1, -1)
        for layer in self.decoder:
            queries = layer(queries, tokens, memory_mask=query_bias,
                            memory_key_padding_mask=padding)
        queries = self.norm(queries)
        return {"logits": self.class_head(queries), "boxes": self.box_head(queries)}


class TokenFusion(nn.Module):
    """Camera + radar + LiDAR detector; ``forward(TokenInputs)`` → ``{"logits", "boxes"}``."""

    def __init__(self, config: TokenFusionConfig) -> None:
        super().__init__()
        self.config = config
        raster = config.raster
        self.camera_tokens = CameraTokens(config.width)
        self.radar_tokens = CellTokens(raster.radar_channels, config.width)
        self.lidar_tokens = CellTokens(raster.lidar_channels, config.width)
        self.fusion = FusionTransformer(config)

    def forward(self, inputs: TokenInputs) -> dict[str, torch.Tensor]:
        camera, camera_rays, camera_absent = self.camera_tokens(inputs)
        radar, radar_absent, radar_grid = self.radar_tokens(inputs.radar, inputs.radar_present)
        lidar, lidar_absent, lidar_grid = self.lidar_tokens(inputs.lidar, inputs.lidar_present)
        config = self.config
        return self.fusion(
            camera=camera, radar=radar, lidar=lidar, camera_rays=camera_rays,
            radar_cells=lattice(config.x_range, config.y_range, *radar_grid).to(radar),
            lidar_cells=lattice(config.x_range, config.y_range, *lidar_grid).to(lidar),
            camera_absent=camera_absent, radar_absent=radar_absent, lidar_absent=lidar_absent)
