"""Selections (max-pool, max/min, top-k, sort): the indices chosen at the reference are the
switch; every stream is gathered at them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from lmd_ros.decomposition.op import Op
from lmd_ros.decomposition.registry import INPUT, Arg, register_rule, signature, tensor_ops
from lmd_ros.decomposition.switches import ACTIVATION


class MaxPool:
    """Max pooling over the last ``dims`` dims; ``with_indices`` is its index-returning variant."""

    def __init__(self, with_indices: Callable, dims: int) -> None:
        self.with_indices = with_indices
        self.dims = dims

    def __call__(self, op: Op) -> Any:
        _, streams = op.single(INPUT)
        bound = signature(self.with_indices).bind(*op.args, **op.kwargs)
        returns_indices = bound.arguments.get("return_indices", False)
        bound.arguments["return_indices"] = True
        indices = op.switch(lambda: self.with_indices(*bound.args, **bound.kwargs)[1], ACTIVATION)
        flat = indices.flatten(-self.dims)

        def gather(rows: torch.Tensor) -> torch.Tensor:
            planes = rows.flatten(-self.dims)
            picked = planes.gather(-1, flat.expand(*planes.shape[:-1], flat.shape[-1]))
            kept = rows.shape[: rows.dim() - self.dims]
            return picked.reshape(*kept, *indices.shape[-self.dims:])

        pooled = streams.map(gather)
        return (pooled, indices) if returns_indices else pooled


def extreme(op: Op) -> Any:
    """max/min in all their forms: global, along a dim (with indices), or of two tensors."""
    second = op.arg(Arg(1, "dim"), op.kwargs.get("other"))
    if isinstance(second, torch.Tensor):  # elementwise: a frozen mask picks one side
        first = op.arg(INPUT)
        mask = op.switch(lambda: op.out == first, ACTIVATION)
        return op.linear(Arg(1, "input"), Arg(2, "other"), func=torch.where,
                         args=(mask, first, second), kwargs={})
    x, streams = op.single(INPUT)
    if second is None:  # global: one element
        flat_index = op.switch(lambda: (x.flatten() == op.out).nonzero()[0, 0], ACTIVATION)
        return streams.map(lambda rows: rows.flatten(1)[:, flat_index])
    indices = op.switch(lambda: op.out[1], ACTIVATION)
    keepdim = op.arg(Arg(2, "keepdim"), False)
    return streams.map(lambda rows: _along(rows, indices, second % x.dim(), keepdim)), indices


class Sorted:
    """topk / sort: values and the indices they came from along ``dim``."""

    def __init__(self, dim: Arg) -> None:
        self.dim = dim

    def __call__(self, op: Op) -> Any:
        x, streams = op.single(INPUT)
        indices = op.switch(lambda: op.out[1], ACTIVATION)
        dim = op.arg(self.dim, -1) % x.dim()
        return streams.map(lambda rows: _along(rows, indices, dim, keepdim=True)), indices


def _along(rows: torch.Tensor, indices: torch.Tensor, dim: int, keepdim: bool) -> torch.Tensor:
    """Stacked streams gathered along ``dim`` (of one stream) at ``indices``."""
    index = indices if keepdim else indices.unsqueeze(dim)
    picked = torch.take_along_dim(rows, index.unsqueeze(0), dim=dim + 1)
    return picked if keepdim else picked.squeeze(dim + 1)


_POOLS = [
    (F.max_pool1d, F.max_pool1d_with_indices, 1),
    (F.max_pool2d, F.max_pool2d_with_indices, 2),
    (F.max_pool3d, F.max_pool3d_with_indices, 3),
    (F.adaptive_max_pool1d, F.adaptive_max_pool1d_with_indices, 1),
    (F.adaptive_max_pool2d, F.adaptive_max_pool2d_with_indices, 2),
    (F.adaptive_max_pool3d, F.adaptive_max_pool3d_with_indices, 3),
]
for _op, _with_indices, _dims in _POOLS:
    register_rule(_op, MaxPool(_with_indices, _dims))
for _op in tensor_ops("max", "min", "maximum", "minimum"):
    register_rule(_op, extreme)
for _op in tensor_ops("topk"):
    register_rule(_op, Sorted(Arg(2, "dim")))
for _op in tensor_ops("sort"):
    register_rule(_op, Sorted(Arg(1, "dim")))
