"""A geometric prior on attention: tokens attend mostly to tokens looking at the same place.

Without it a small DETR needs far longer training than two CPU cores give to learn where each
token looks. The prior is an additive attention bias from geometry alone: between two BEV
positions (cells, object queries) −(distance / DISTANCE_SCALE_M)², between a camera ray and
anything else −(bearing difference / BEARING_SCALE_RAD)². The heads see it at decreasing
strengths ``HEAD_FOCUS`` (the last one not at all), so attention stays free to look wide. Like
a mask, it is a constant under LMD: it selects, it adds nothing to any stream.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

DISTANCE_SCALE_M = 6.0
BEARING_SCALE_RAD = 0.2


@dataclass(frozen=True)
class TokenPlaces:
    """Where each token of a sequence looks: ``bearing`` (T,) from the ego origin, ``xy``
    (T, 2) and ``located`` (T,) True where the token has a BEV position (a camera ray has
    none), ``anywhere`` (T,) True for tokens without a place (the register token)."""

    bearing: torch.Tensor
    xy: torch.Tensor
    located: torch.Tensor
    anywhere: torch.Tensor

    @staticmethod
    def cells(xy: torch.Tensor) -> TokenPlaces:
        return TokenPlaces(torch.atan2(xy[:, 1], xy[:, 0]), xy,
                           torch.ones(len(xy), dtype=torch.bool, device=xy.device),
                           torch.zeros(len(xy), dtype=torch.bool, device=xy.device))

    @staticmethod
    def rays(direction: torch.Tensor) -> TokenPlaces:
        count = len(direction)
        return TokenPlaces(torch.atan2(direction[:, 1], direction[:, 0]),
                           direction.new_zeros(count, 2),
                           torch.zeros(count, dtype=torch.bool, device=direction.device),
                           torch.zeros(count, dtype=torch.bool, device=direction.device))

    @staticmethod
    def nowhere(count: int, like: torch.Tensor) -> TokenPlaces:
        none = torch.zeros(count, dtype=torch.bool, device=like.device)
        return TokenPlaces(like.new_zeros(count), like.new_zeros(count, 2), none, ~none)

    @staticmethod
    def join(*parts: TokenPlaces) -> TokenPlaces:
        return TokenPlaces(*(torch.cat([getattr(p, f) for p in parts])
                             for f in ("bearing", "xy", "located", "anywhere")))


def head_focus(heads: int) -> torch.Tensor:
    """Prior strength per head: 1 for the first, down to 0 for the last."""
    return torch.linspace(1.0, 0.0, heads) if heads > 1 else torch.ones(1)


def attention_bias(queries: TokenPlaces, keys: TokenPlaces, heads: int,
                   batch: int) -> torch.Tensor:
    """(batch·heads, Lq, Lk) additive bias, the layout ``nn.MultiheadAttention`` takes."""
    distance = (torch.cdist(queries.xy, keys.xy) / DISTANCE_SCALE_M) ** 2
    turn = torch.remainder(queries.bearing[:, None] - keys.bearing[None] + math.pi,
                           2 * math.pi) - math.pi
    both_located = queries.located[:, None] & keys.located[None]
    bias = -torch.where(both_located, distance, (turn / BEARING_SCALE_RAD) ** 2)
    bias = bias.masked_fill(queries.anywhere[:, None] | keys.anywhere[None], 0.0)
    focused = head_focus(heads).to(bias)[:, None, None] * bias
    return focused.expand(batch, -1, -1, -1).reshape(batch * heads, *bias.shape)
