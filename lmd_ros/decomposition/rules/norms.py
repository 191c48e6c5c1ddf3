"""Vector norms and ``F.normalize``: the direction at the reference is the switch.

A p-norm is homogeneous of degree 1, so by Euler n(z) = Σ_i g_i·z_i with g = ∇n(z) (for p = 2,
g = z/‖z‖; for p = ∞, the sign at the largest |z_i|, ties shared). With g frozen, n is linear:
stream j is Σ_i g_i·h_j,i, and the rounding residual n(z) − g·z goes to the bias. ``F.normalize``
divides by the frozen, clamped norm (a denominator: a switch), so it is linear in its input.
Matrix norms (nuclear, spectral) have no rule.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from lmd_ros.decomposition.op import Op
from lmd_ros.decomposition.registry import INPUT, Arg, register_rule
from lmd_ros.decomposition.streams import Streams
from lmd_ros.decomposition.switches import ACTIVATION

ORD = Arg(1, "ord")
P = Arg(1, "p")
DIM = Arg(2, "dim")
KEEPDIM = Arg(3, "keepdim")


class Norm:
    """``norm(x, order, dim, keepdim)``; ``default`` is the order when none is given.

    ``matrix``: the op takes a matrix norm over two dims when given a numeric order
    (``torch.linalg.norm``), which has no rule.
    """

    def __init__(self, order: Arg, default: Any, matrix: bool = False) -> None:
        self.order = order
        self.default = default
        self.matrix = matrix

    def __call__(self, op: Op) -> Streams:
        z, streams = op.single(INPUT)
        order = op.arg(self.order, self.default)
        dim = op.arg(DIM)
        keepdim = op.arg(KEEPDIM, False)
        dims = tuple(range(z.dim())) if dim is None else \
            tuple(d % z.dim() for d in ((dim,) if isinstance(dim, int) else dim))
        p = self._order(op, order, dims, z)
        gradient = op.switch(lambda: _gradient(z, p, dims), ACTIVATION)
        rows_dims = tuple(d + 1 for d in dims)
        out = streams.map(lambda rows: (gradient * rows).sum(rows_dims, keepdim=keepdim)
                          .to(op.out.dtype))
        if not op.tracer.explicit:
            return out
        residual = op.switch(
            lambda: op.out - (gradient * z).sum(dims, keepdim=keepdim).to(op.out.dtype),
            ACTIVATION)
        return op.add_bias(out, residual)

    def _order(self, op: Op, order: Any, dims: tuple[int, ...], z: torch.Tensor) -> float:
        if order in (None, "fro"):
            return 2.0
        if self.matrix and (len(dims) == 2 or (op.arg(DIM) is None and z.dim() == 2)):
            raise op.unsupported(f"takes the matrix norm of order {order!r}: no rule")
        if isinstance(order, str) or not order > 0:
            raise op.unsupported(f"has order {order!r}, which is not a norm of degree 1")
        return float(order)


def _gradient(z: torch.Tensor, p: float, dims: tuple[int, ...]) -> torch.Tensor:
    """∇‖z‖_p along ``dims`` (zero where the norm is zero)."""
    work = z.to(torch.promote_types(z.dtype, torch.float32))
    size = work.abs()
    if math.isinf(p):
        top = size == size.amax(dims, keepdim=True)
        return (work.sign() * top / top.sum(dims, keepdim=True)).to(z.dtype)
    norm = torch.linalg.vector_norm(work, p, dims, keepdim=True)
    ratio = torch.where(norm > 0, size / torch.where(norm > 0, norm, 1), 0)
    power = torch.where(ratio > 0, ratio.pow(p - 1), 0)  # 0^(p-1) for p < 1: 0, not inf
    return (work.sign() * power).to(z.dtype)


def normalize(op: Op) -> Streams:
    """``x / max(‖x‖_p, eps)`` along ``dim``, the clamped norm frozen."""
    x, _ = op.single(INPUT)
    a = op.bound()
    denominator = op.switch(
        lambda: torch.linalg.vector_norm(x, a["p"], a["dim"], keepdim=True)
        .clamp_min(a["eps"]).expand_as(x), ACTIVATION)
    return op.linear(INPUT, func=torch.div, args=(x, denominator), kwargs={})


register_rule(torch.norm, Norm(P, "fro"))
register_rule(torch.Tensor.norm, Norm(P, "fro"))
register_rule(torch.linalg.vector_norm, Norm(ORD, 2.0))
register_rule(torch.linalg.norm, Norm(ORD, None, matrix=True))
register_rule(F.normalize, normalize)
