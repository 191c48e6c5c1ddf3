"""Ops that treat every sample of a batch alike (conv, interpolate): the streams run as extra
samples of one call, stream dim folded into the batch dim.

The same as every stream through the op (``Affine``), without ``torch.vmap``'s per-call cost,
and vmap sends 1x1 convs to a slow kernel (3x slower here). The op's own bias goes to the bias
stream.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch.utils._pytree import tree_leaves

from lmd_ros.decomposition.op import Op
from lmd_ros.decomposition.registry import INPUT, Arg, register_rule
from lmd_ros.decomposition.rules.linear import Affine
from lmd_ros.decomposition.streams import Streams


class BatchFolded(Affine):
    """``op`` linear in its input (plus a per-channel ``bias`` argument, if any), applied to
    every sample alike; inputs of other than ``batched_dims`` dims (unbatched) go through
    ``Affine``."""

    def __init__(self, batched_dims: int | None, bias: Arg | None = None) -> None:
        super().__init__(INPUT, *([] if bias is None else [bias]))
        self.batched_dims = batched_dims
        self.bias = bias

    def __call__(self, op: Op) -> Any:
        x = op.arg(INPUT)
        streams = op.streams(x)
        others = [t for t in tree_leaves((op.args, op.kwargs)) if t is not x]
        if (streams is None or any(op.streams(t) is not None for t in others)
                or (self.batched_dims is not None and x.dim() != self.batched_dims)):
            return super().__call__(op)
        args, kwargs = INPUT.replace(op.args, op.kwargs, streams.values.flatten(0, 1))
        bias = None if self.bias is None else op.arg(self.bias)
        if bias is not None:
            args, kwargs = self.bias.replace(args, kwargs, None)
        out = op.func(*args, **kwargs)
        folded = Streams(out.unflatten(0, streams.values.shape[:2]), streams.ids)
        return folded if bias is None else op.add_bias(folded, per_channel(bias, x))


def per_channel(bias: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """A conv bias shaped to broadcast over dim 1 of ``x``."""
    return bias.view(-1, *(1,) * (x.dim() - 2))


for _op in (F.interpolate, F.upsample, F.upsample_bilinear, F.upsample_nearest):
    register_rule(_op, BatchFolded(None))
