"""Channel blocks at a fusion point: a stream that is zero outside its own channels is convolved
over those channels only.

After ``cat([camera, radar, lidar], dim=1)`` the camera stream is zero in every radar and LiDAR
channel. ``Concatenate`` notes each stream's channel range (``Streams.support``); the conv that
follows (``ChannelBlockConv``) then runs each stream with the matching slice of its weight, so
the fused conv costs about one dense conv for all streams together instead of one per stream.
Same result up to rounding (fewer terms summed).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from lmd_ros.decomposition.op import Op
from lmd_ros.decomposition.registry import INPUT, Arg, register_rule, tensor_ops
from lmd_ros.decomposition.rules.folded import BatchFolded, per_channel
from lmd_ros.decomposition.rules.linear import BIAS_ARG
from lmd_ros.decomposition.streams import Streams

TENSORS = Arg(0, "tensors")
_CONV_ARGS = (Arg(3, "stride"), Arg(4, "padding"), Arg(5, "dilation"))
_CONV_DEFAULTS = (1, 0, 1)


class Concatenate:
    """cat / concat / concatenate: every stream through the op; along dim 1, each stream's
    channel range (the hull of the pieces it is nonzero in)."""

    def __call__(self, op: Op) -> Streams | None:
        out = op.linear(TENSORS)
        dim = op.arg(Arg(1, "dim"), 0)
        if out is None or dim % op.out.dim() != 1:
            return out
        ranges: dict[int, list[tuple[int, int]]] = {}
        offset = 0
        bias = op.tracer.n_modalities
        for piece in op.arg(TENSORS):
            width = piece.size(1)
            streams = op.streams(piece)
            if streams is None:  # a constant: in the bias row
                ranges.setdefault(bias, []).append((offset, offset + width))
            else:
                inside = streams.support or ((0, width),) * len(streams.ids)
                for i, (start, stop) in zip(streams.ids, inside, strict=True):
                    ranges.setdefault(i, []).append((offset + start, offset + stop))
            offset += width
        support = tuple((min(r[0] for r in ranges[i]), max(r[1] for r in ranges[i]))
                        for i in out.ids)
        return Streams(out.values, out.ids, support)


class ChannelBlockConv(BatchFolded):
    """conv1d/2d/3d: with known channel ranges, each stream over its own channels only;
    otherwise all streams in one call (``BatchFolded``)."""

    def __init__(self, batched_dims: int) -> None:
        super().__init__(batched_dims, BIAS_ARG)

    def __call__(self, op: Op) -> Any:
        x = op.arg(INPUT)
        streams = op.streams(x)
        weight, bias = op.arg(Arg(1, "weight")), op.arg(BIAS_ARG)
        if (streams is None or streams.support is None or op.arg(Arg(6, "groups"), 1) != 1
                or op.streams(weight) is not None or op.streams(bias) is not None
                or all(stop - start == x.size(1) for start, stop in streams.support)):
            return super().__call__(op)
        settings = [op.arg(where, default) for where, default in zip(_CONV_ARGS, _CONV_DEFAULTS,
                                                                     strict=True)]
        rows = [op.func(row.narrow(1, start, stop - start),
                        weight.narrow(1, start, stop - start), None, *settings)
                for row, (start, stop) in zip(streams.values, streams.support, strict=True)]
        out = Streams(torch.stack(rows), streams.ids)
        if bias is None:
            return out
        return op.add_bias(out, per_channel(bias, x))


for _op in tensor_ops("cat", "concat", "concatenate"):
    register_rule(_op, Concatenate())
for _op, _dims in ((F.conv1d, 3), (F.conv2d, 4), (F.conv3d, 5)):
    register_rule(_op, ChannelBlockConv(_dims))
