"""Ops whose output, or one of whose inputs, is frozen at the reference: softmax maps,
denominators, and tensors built only from another tensor's shape."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from lmd_ros.decomposition.exits import as_switch
from lmd_ros.decomposition.op import Op
from lmd_ros.decomposition.registry import INPUT, OTHER, Arg, register_rule, tensor_ops
from lmd_ros.decomposition.switches import ACTIVATION


def switch_output(op: Op) -> torch.Tensor:
    """The output itself is a switch (softmax inside attention): a constant, frozen under a
    linearization. Decompose logits before a final softmax, as the paper does before a sigmoid."""
    return op.switch(lambda: op.out, ACTIVATION)


def shape_only(op: Op) -> None:
    """``zeros_like(x)``, ``x.new_ones(...)``: only x's shape, dtype and device matter."""
    return None


class Divide:
    """numerator / denominator: linear in the numerator; a decomposed denominator is a switch."""

    def __init__(self, numerator: Arg, denominator: Arg) -> None:
        self.numerator = numerator
        self.denominator = denominator

    def __call__(self, op: Op) -> Any:
        if op.kwargs.get("rounding_mode") is not None:
            raise op.unsupported("rounds, which is not linear")
        args, kwargs = op.args, op.kwargs
        denominator = op.arg(self.denominator)
        if op.streams(denominator) is not None:
            frozen = op.switch(lambda: denominator.detach(), ACTIVATION)
            args, kwargs = self.denominator.replace(args, kwargs, frozen)
        if op.streams(op.arg(self.numerator)) is None:
            return switch_output(op)
        return op.linear(self.numerator, args=args, kwargs=kwargs)


for _op in [*tensor_ops("softmax", "log_softmax"), F.softmax, F.log_softmax, as_switch]:
    register_rule(_op, switch_output)
_LIKE = ("zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like",
         "new_zeros", "new_ones", "new_empty", "new_full", "new_tensor")
for _op in tensor_ops(*_LIKE):
    register_rule(_op, shape_only)
for _op in tensor_ops("div", "divide", "true_divide", "__truediv__", "__div__"):
    register_rule(_op, Divide(INPUT, OTHER))
register_rule(torch.Tensor.__rtruediv__, Divide(OTHER, INPUT))
