"""LayerNorm, InstanceNorm, GroupNorm: σ (and μ) of the reference are the switch.

With σ frozen the op is linear up to its centring, shared by the ``norm`` rule:
ratio     h_j' = γ·(h_j − μ(h_j))/σ, β on the bias (every stream centred by its own mean);
identity  h_j' = γ·h_j/σ, and γ·(−μ(z))/σ + β on the bias;
uniform   h_j' = γ·(h_j − μ(z)/(M+1))/σ, β on the bias.
identity and uniform treat μ(z) as part of the switch (frozen with σ): it is an offset to share,
not a stream's own property; ratio needs no reference mean.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from lmd_ros.decomposition.op import Op
from lmd_ros.decomposition.registry import INPUT, register_rule
from lmd_ros.decomposition.streams import Streams
from lmd_ros.decomposition.switches import NORMALIZATION

Grouping = Callable[[torch.Tensor, torch.Tensor, dict[str, Any]], torch.Tensor]
"""``(t, x, arguments)`` -> ``t`` (x itself, or its stacked streams) reshaped so that the last
dim holds one normalization group of the input ``x``."""


class Normalization:
    def __init__(self, grouping: Grouping, per_channel: bool) -> None:
        self.grouping = grouping
        self.per_channel = per_channel  # γ and β per channel (dim 1), else over trailing dims

    def __call__(self, op: Op) -> Streams:
        x, streams = op.single(INPUT)
        a = op.bound()
        if not a.get("use_input_stats", True):
            raise op.unsupported("normalizes with running statistics here; no rule for that")

        def group(t: torch.Tensor) -> torch.Tensor:
            return self.grouping(t, x, a)

        mean, std = op.switch(lambda: _moments(group(x), a["eps"]), NORMALIZATION)
        weight, bias = (self._broadcastable(p, x) for p in (a["weight"], a["bias"]))
        rule = op.rules.norm

        def normalized(rows: torch.Tensor) -> torch.Tensor:
            g = group(rows)
            if rule == "ratio":
                g = g - g.mean(-1, keepdim=True)
            out = (g / std).reshape(rows.shape)
            return (out if weight is None else out * weight).to(rows.dtype)

        out = streams.map(normalized)
        if rule != "ratio":
            centring = (-mean / std).expand(group(x).shape).reshape(x.shape)
            if weight is not None:
                centring = centring * weight
            share = op.add_shared if rule == "uniform" else op.add_bias
            out = share(out, centring)
        return out if bias is None else op.add_bias(out, bias)

    def _broadcastable(self, param: torch.Tensor | None, x: torch.Tensor) -> torch.Tensor | None:
        if param is None or not self.per_channel:
            return param
        return param.view(-1, *(1,) * (x.dim() - 2))


def _moments(grouped: torch.Tensor, eps: float) -> tuple[torch.Tensor, torch.Tensor]:
    work = grouped.to(torch.promote_types(grouped.dtype, torch.float32))
    mean = work.mean(-1, keepdim=True)
    var = (work - mean).square().mean(-1, keepdim=True)  # torch.var_mean is 15x slower on CPU
    return mean, (var + eps).sqrt()


def _layer(t: torch.Tensor, x: torch.Tensor, a: dict[str, Any]) -> torch.Tensor:
    return t.flatten(-len(a["normalized_shape"]))


def _instance(t: torch.Tensor, x: torch.Tensor, a: dict[str, Any]) -> torch.Tensor:
    return t.flatten(-(x.dim() - 2))


def _group(t: torch.Tensor, x: torch.Tensor, a: dict[str, Any]) -> torch.Tensor:
    return t.reshape(*t.shape[: t.dim() - x.dim() + 1], a["num_groups"], -1)


register_rule(F.layer_norm, Normalization(_layer, per_channel=False))
register_rule(F.instance_norm, Normalization(_instance, per_channel=True))
register_rule(F.group_norm, Normalization(_group, per_channel=True))
