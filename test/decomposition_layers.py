"""One small layer per rule of the method (and per op family), and random stacks of them.

Every layer maps a (1, C, S, S) float64 tensor to one of the same shape, so any sequence of them
is a network. ``two_modality_net`` puts a mixing fusion step in front.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from decomposition_nets import DTYPE, randomized
from torch import nn

C, S = 4, 6


class Layer(nn.Module):
    """``fn(x, *parts)``: the parts are registered, so eval() and dtype reach them."""

    def __init__(self, fn: Callable, *parts: nn.Module) -> None:
        super().__init__()
        self.fn = fn
        self.parts = nn.ModuleList(parts)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x, *self.parts)


def _module(module: nn.Module) -> Layer:
    return Layer(lambda x, m: m(x), module)


def _tokens(fn: Callable, *parts: nn.Module) -> Layer:
    """Apply ``fn`` to the spatial positions as tokens: (1, S*S, C)."""
    return Layer(lambda x, *p: fn(x.flatten(2).transpose(1, 2), *p).transpose(1, 2).view_as(x),
                 *parts)


def _constants() -> dict[str, torch.Tensor]:
    return {
        "grid": torch.rand(1, S, S, 2, dtype=DTYPE) * 2.2 - 1.1,
        "matrix": torch.randn(S, S, dtype=DTYPE),
        "mixing": torch.randn(C, C, dtype=DTYPE),
        "permutation": torch.randperm(S * S),
        "mask": torch.rand(1, C, S, S) > 0.5,
        "offset": torch.randn(1, C, S, S, dtype=DTYPE),
    }


def _setitem(x: torch.Tensor) -> torch.Tensor:
    y = x.clone()
    y[:, :, 1:3] = x[:, :, 3:5] * 2
    y[0, 0, 0, 0] = 1.5
    return y


def _inplace(x: torch.Tensor) -> torch.Tensor:
    y = x * 1.0
    y += 1.0
    y.mul_(2.0)
    return F.relu(y, inplace=True)


LAYERS: dict[str, Callable[[dict[str, torch.Tensor]], nn.Module]] = {
    "conv": lambda k: _module(nn.Conv2d(C, C, 3, padding=1)),
    "conv_no_bias": lambda k: _module(nn.Conv2d(C, C, 3, padding=1, bias=False)),
    "conv_transpose": lambda k: _module(nn.ConvTranspose2d(C, C, 3, padding=1)),
    "conv1d": lambda k: Layer(lambda x, m: m(x.flatten(2)).view_as(x),
                              nn.Conv1d(C, C, 3, padding=1)),
    "conv3d": lambda k: Layer(lambda x, m: m(x.unsqueeze(2)).squeeze(2),
                              nn.Conv3d(C, C, (1, 3, 3), padding=(0, 1, 1))),
    "linear": lambda k: Layer(lambda x, m: m(x.movedim(1, -1)).movedim(-1, 1), nn.Linear(C, C)),
    "batchnorm": lambda k: _module(nn.BatchNorm2d(C)),
    "batchnorm1d": lambda k: Layer(lambda x, m: m(x.flatten(2)).view_as(x), nn.BatchNorm1d(C)),
    "instancenorm": lambda k: _module(nn.InstanceNorm2d(C, affine=True)),
    "groupnorm": lambda k: _module(nn.GroupNorm(2, C)),
    "layernorm": lambda k: _module(nn.LayerNorm([C, S, S])),
    "relu": lambda k: _module(nn.ReLU()),
    "leaky_relu": lambda k: _module(nn.LeakyReLU(0.1)),
    "gelu": lambda k: _module(nn.GELU()),
    "gelu_tanh": lambda k: _module(nn.GELU(approximate="tanh")),
    "silu": lambda k: _module(nn.SiLU()),
    "sigmoid": lambda k: _module(nn.Sigmoid()),
    "tanh": lambda k: _module(nn.Tanh()),
    "elu": lambda k: _module(nn.ELU()),
    "softplus": lambda k: _module(nn.Softplus()),
    "hardswish": lambda k: _module(nn.Hardswish()),
    "hardtanh": lambda k: _module(nn.Hardtanh(-0.5, 0.5)),
    "clamp": lambda k: Layer(lambda x: x.clamp(min=0.2)),
    "max_pool": lambda k: Layer(lambda x: F.interpolate(F.max_pool2d(x, 2), scale_factor=2)),
    "adaptive_max_pool": lambda k: Layer(lambda x: F.interpolate(
        F.adaptive_max_pool2d(x, 3), size=(S, S), mode="bilinear")),
    "avg_pool": lambda k: Layer(lambda x: F.avg_pool2d(x, 3, 1, 1)),
    "adaptive_avg_pool": lambda k: Layer(lambda x: F.interpolate(F.adaptive_avg_pool2d(x, 2),
                                                                 scale_factor=3)),
    "grid_sample": lambda k: Layer(lambda x: F.grid_sample(x, k["grid"], align_corners=False)),
    "pad": lambda k: Layer(lambda x: F.avg_pool2d(F.pad(x, (1, 1, 1, 1), value=0.5), 3, 1)),
    "reshape": lambda k: Layer(lambda x: x.permute(0, 2, 3, 1).reshape(1, -1, C).transpose(1, 2)
                               .reshape(1, C, S, S).flip(-1).roll(1, 2)),
    "split_cat": lambda k: Layer(lambda x: torch.cat([*x.chunk(2, 1)[::-1]], 1)
                                 + torch.stack(x.unbind(2), 2)),
    "index": lambda k: Layer(lambda x: x.flatten(2)[:, :, k["permutation"]].view_as(x)
                             + x[:, [1, 0, 3, 2]]),
    "gather": lambda k: Layer(lambda x: x.flatten(2).gather(
        2, k["permutation"].expand(1, C, -1)).view_as(x)),
    "scatter_add": lambda k: Layer(lambda x: torch.zeros(1, C, S * S, dtype=DTYPE).scatter_add(
        2, (k["permutation"] % 7).expand(1, C, -1), x.flatten(2)).view_as(x)),
    "index_add": lambda k: Layer(lambda x: k["offset"].flatten(2).index_add(
        2, k["permutation"] % 5, x.flatten(2)).view_as(x)),
    "sum_mean": lambda k: Layer(lambda x: x + x.mean((2, 3), keepdim=True)
                                - 0.1 * x.sum(1, keepdim=True)),
    "affine_constant": lambda k: Layer(lambda x: 2.0 * x - 1.5 + k["offset"]),
    "matmul_constant": lambda k: Layer(lambda x: x @ k["matrix"]),
    "einsum_constant": lambda k: Layer(lambda x: torch.einsum("bchw,cd->bdhw", x, k["mixing"])),
    "gating_product": lambda k: Layer(lambda x: x * torch.sigmoid(x.flip(-1))),
    "square": lambda k: Layer(lambda x: 0.1 * x * x),
    "divide": lambda k: Layer(lambda x: x / (x.abs() + 1.0)),
    "softmax_attention": lambda k: _tokens(lambda t: torch.softmax(t @ t.transpose(1, 2), -1) @ t),
    "sdpa": lambda k: _tokens(lambda t: F.scaled_dot_product_attention(t, t, t)),
    "multihead_attention": lambda k: _tokens(lambda t, m: m(t, t, t)[0],
                                             nn.MultiheadAttention(C, 2, batch_first=True)),
    "max_dim": lambda k: Layer(lambda x: x - x.max(1, keepdim=True).values),
    "topk": lambda k: Layer(lambda x: x + torch.topk(x, 2, dim=1).values.sum(1, keepdim=True)),
    "maximum": lambda k: Layer(lambda x: torch.maximum(x, x.flip(-1))),
    "masked_fill_where": lambda k: Layer(lambda x: torch.where(
        x > 0, x.masked_fill(k["mask"], 0.7), 0.3)),
    "setitem": lambda k: Layer(_setitem),
    "inplace": lambda k: Layer(_inplace),
    "dropout_eval": lambda k: _module(nn.Dropout(0.5)),
    "pixel_shuffle": lambda k: Layer(lambda x: F.pixel_shuffle(F.pixel_unshuffle(x, 2), 2)),
}


class TwoModalityNet(nn.Module):
    """Fusion (cat + 1x1 conv, so the streams mix from the first layer) then ``layers``."""

    def __init__(self, layers: list[nn.Module]) -> None:
        super().__init__()
        self.fusion = nn.Conv2d(2 * C, C, 1)
        self.layers = nn.Sequential(*layers)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return self.layers(self.fusion(torch.cat([a, b], 1)))


def two_modality_net(kinds: list[str], seed: int) -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    torch.manual_seed(seed)
    constants = _constants()
    model = randomized(TwoModalityNet([LAYERS[kind](constants) for kind in kinds]), seed)
    inputs = tuple(torch.randn(1, C, S, S, dtype=DTYPE) for _ in range(2))
    return model, inputs
