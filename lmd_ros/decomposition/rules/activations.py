"""Elementwise functions (activations, powers, exp, log, erf, ...): each stream scaled by the
secant slope of φ from 0 to z."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from lmd_ros.decomposition.op import Op
from lmd_ros.decomposition.registry import INPUT, register_rule, tensor_ops
from lmd_ros.decomposition.streams import Streams
from lmd_ros.decomposition.switches import ACTIVATION


def secant(op: Op) -> Streams:
    """h_j' = c·h_j with c = (φ(z) − φ(0)) / z; φ(z) − c·z (= φ(0) + rounding) goes to the bias.

    Where |z| ≤ √eps, z is first moved out to ±√eps (same sign): no 0/0, no cancellation, a
    slope within O(√eps) of φ'(0) (exact for kinks at 0 like ReLU's), and the bias absorbs the
    difference, so the streams still sum to φ(z) exactly. Where φ(0) is not finite (log,
    reciprocal, rsqrt, negative powers) the secant starts at the origin instead: c = φ(z) / z,
    nothing to the bias.
    """
    return _scaled(op, lambda z: _slope(op, z))


def relu_mask(op: Op) -> Streams:
    """ReLU's secant slope is its mask 1[z > 0] (0 at z = 0): no need to evaluate φ again."""
    return _scaled(op, lambda z: (z > 0).to(z.dtype))


def _scaled(op: Op, slope_at: Callable[[torch.Tensor], torch.Tensor]) -> Streams:
    z, streams = op.single(INPUT)
    slope = op.switch(lambda: slope_at(z), ACTIVATION)
    scaled = streams.map(lambda rows: slope * rows)
    if not op.tracer.explicit:
        return scaled  # the bias is derived: no need for the offset
    return op.add_bias(scaled, op.switch(lambda: op.out - slope * z, ACTIVATION))


def _slope(op: Op, z: torch.Tensor) -> torch.Tensor:
    def phi(t: torch.Tensor) -> torch.Tensor:
        args, kwargs = INPUT.replace(op.args, op.kwargs, t)
        return op.func(*args, **kwargs)

    at = z.to(torch.promote_types(z.dtype, torch.float32))  # bf16/f16: slopes in float32
    tiny = at.new_full((), torch.finfo(at.dtype).eps ** 0.5)
    away = torch.where(at.abs() > tiny, at, tiny.copysign(at))
    at_zero = phi(tiny.new_zeros(()))
    anchor = torch.where(at_zero.isfinite(), at_zero, 0)
    return ((phi(away) - anchor) / away).to(z.dtype)


_ACTIVATIONS: list[Callable] = [
    *tensor_ops("sigmoid", "tanh", "abs", "clamp", "clip", "clamp_min", "clamp_max"),
    F.relu6, F.leaky_relu, F.gelu, F.silu, F.sigmoid, F.tanh, F.elu, F.selu, F.celu,
    F.softplus, F.hardswish, F.hardsigmoid, F.hardtanh, F.mish,
    *tensor_ops("pow", "__pow__", "__rpow__", "float_power", "square", "sqrt", "rsqrt", "exp",
                "exp2", "expm1", "log", "log2", "log10", "log1p", "reciprocal", "erf", "erfc"),
    torch.special.erf, torch.special.erfc, torch.special.expm1, torch.special.exp2,
]
for _op in _ACTIVATIONS:
    register_rule(_op, secant)
for _op in [*tensor_ops("relu"), F.relu]:
    register_rule(_op, relu_mask)
