"""Linear and affine ops: every stream goes through the op; additive constants go to the bias."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from lmd_ros.decomposition.inplace import assign
from lmd_ros.decomposition.op import Op
from lmd_ros.decomposition.registry import INPUT, OTHER, Arg, register_rule, tensor_ops

BIAS_ARG = Arg(2, "bias")


class Affine:
    """An op jointly linear in ``slots``, e.g. conv in (input, bias) or add in (input, other).

    ``metadata`` arguments are read for their shape, dtype or device only (``x.to(y)``), so a
    decomposed tensor there is fine.
    """

    def __init__(self, *slots: Arg, metadata: tuple[Arg, ...] = ()) -> None:
        self.slots = slots
        self.metadata = metadata

    def __call__(self, op: Op) -> Any:
        args, kwargs = op.args, op.kwargs
        for where in self.metadata:
            other = where.get(args, kwargs)
            if isinstance(other, torch.Tensor):
                args, kwargs = where.replace(args, kwargs, other.new_empty(()).expand(other.shape))
        return op.linear(*self.slots, args=args, kwargs=kwargs)


def dropout(op: Op) -> Any:
    """The identity in eval mode; random masks (training) have no decomposition."""
    arguments = op.bound()
    if arguments["training"] and arguments["p"] > 0:
        raise op.unsupported("is random in training mode: call model.eval()")
    return op.linear(INPUT)


_UNARY = (
    "view", "reshape", "flatten", "unflatten", "permute", "transpose", "swapaxes", "swapdims",
    "movedim", "t", "squeeze", "unsqueeze", "expand", "broadcast_to", "contiguous",
    "clone", "detach", "narrow", "select", "__getitem__", "index_select", "gather",
    "take_along_dim", "flip", "fliplr", "flipud", "roll", "rot90", "repeat", "tile",
    "repeat_interleave", "split", "chunk", "unbind", "tensor_split", "diagonal", "tril", "triu",
    "neg", "negative", "__neg__", "positive", "__pos__", "sum", "mean", "cumsum", "float",
    "double", "half", "bfloat16", "cpu", "cuda",
)
_UNARY_F = (
    F.avg_pool1d, F.avg_pool2d, F.avg_pool3d, F.adaptive_avg_pool1d, F.adaptive_avg_pool2d,
    F.adaptive_avg_pool3d,  # interpolate, upsample: rules/folded.py
    F.grid_sample, F.pixel_shuffle, F.pixel_unshuffle, F.unfold, F.fold,
    torch.Tensor.T.__get__, torch.Tensor.mT.__get__,
)
_WITH_BIAS = (F.linear, F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)  # conv:
# rules/blocks.py
_SUM_OF_TWO = ("add", "sub", "subtract", "rsub", "__add__", "__radd__", "__sub__", "__rsub__")
_JOINED = ("stack", "hstack", "vstack", "dstack")  # cat: rules/blocks.py
_SHAPED_LIKE = ("to", "type_as", "view_as", "reshape_as", "expand_as")
_DROPOUT = (F.dropout, F.dropout1d, F.dropout2d, F.dropout3d, F.alpha_dropout,
            F.feature_alpha_dropout)

_TABLE: list[tuple[list, Any]] = [
    ([*tensor_ops(*_UNARY), *_UNARY_F], Affine(INPUT)),
    (list(_WITH_BIAS), Affine(INPUT, BIAS_ARG)),
    (tensor_ops(*_SUM_OF_TWO), Affine(INPUT, OTHER)),
    (tensor_ops(*_JOINED), Affine(Arg(0, "tensors"))),
    (tensor_ops(*_SHAPED_LIKE), Affine(INPUT, metadata=(OTHER,))),
    (list(_DROPOUT), dropout),
    (tensor_ops("masked_fill"), Affine(INPUT, Arg(2, "value"))),
    (tensor_ops("index_add", "index_copy"), Affine(INPUT, Arg(3, "source"))),
    (tensor_ops("scatter_add"), Affine(INPUT, Arg(3, "src"))),
    (tensor_ops("index_put"), Affine(INPUT, Arg(2, "values"))),
    ([torch.where], Affine(Arg(1, "input"), Arg(2, "other"))),
    ([torch.Tensor.where], Affine(INPUT, Arg(2, "other"))),
    ([F.pad], Affine(INPUT, Arg(3, "value"))),
    ([assign], Affine(Arg(0, "target"), Arg(2, "value"))),
]
for _ops, _rule in _TABLE:
    for _op in _ops:
        register_rule(_op, _rule)
