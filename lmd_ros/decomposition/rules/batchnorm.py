"""BatchNorm in eval mode, a fixed affine map s·z + t per channel: s scales every stream, t is
shared by the ``bn`` rule (all to the bias: identity; 1/(M+1) to each stream: uniform)."""

from __future__ import annotations

import torch.nn.functional as F

from lmd_ros.decomposition.op import Op
from lmd_ros.decomposition.registry import INPUT, register_rule
from lmd_ros.decomposition.streams import Streams


def batch_norm(op: Op) -> Streams:
    x, streams = op.single(INPUT)
    a = op.bound()
    if a["training"] or a["running_mean"] is None:
        raise op.unsupported("normalizes with batch statistics: call model.eval()")
    per_channel = (-1,) + (1,) * (x.dim() - 2)
    scale = (a["running_var"] + a["eps"]).rsqrt()
    if a["weight"] is not None:
        scale = scale * a["weight"]
    shift = -a["running_mean"] * scale
    if a["bias"] is not None:
        shift = shift + a["bias"]
    scaled = streams.map(lambda rows: rows * scale.view(per_channel).to(rows.dtype))
    if op.rules.bn == "uniform":
        return op.add_shared(scaled, shift.view(per_channel))
    return op.add_bias(scaled, shift.view(per_channel))


register_rule(F.batch_norm, batch_norm)
