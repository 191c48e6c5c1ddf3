"""Products (mul, matmul, bmm, einsum, ...): linear in a factor while the others are fixed.

With one decomposed factor that is all. With n decomposed factors (gating, QKᵀ) each factor in
turn carries the streams while the others are frozen at the reference, averaged over factors:
for two, stream i gets (h_i·g + h·g_i)/2 = Σ_j (h_i·g_j + h_j·g_i)/2, i.e. every cross term
h_i·g_j goes half to i and half to j. The streams still sum to h·g exactly, and under a
linearization each stream depends on its own modality only (the frozen factors are switches).
Not in the paper, which names bilinear terms a limitation.
"""

from __future__ import annotations

from typing import Any

import torch

from lmd_ros.decomposition.op import Op
from lmd_ros.decomposition.registry import INPUT, OTHER, Arg, register_rule, tensor_ops
from lmd_ros.decomposition.streams import total
from lmd_ros.decomposition.switches import ACTIVATION


class Multilinear:
    def __init__(self, *factors: Arg) -> None:
        self.factors = factors

    def __call__(self, op: Op) -> Any:
        return self.distribute(op, op.args, op.kwargs, self.factors)

    @staticmethod
    def distribute(op: Op, args: tuple, kwargs: dict, factors: tuple[Arg, ...]) -> Any:
        decomposed = [f for f in factors if op.streams(f.get(args, kwargs)) is not None]
        if len(decomposed) == 1:
            return op.linear(decomposed[0], args=args, kwargs=kwargs)
        frozen = {f: op.switch(lambda f=f: f.get(args, kwargs).detach(), ACTIVATION)
                  for f in decomposed}
        terms = []
        for carrier in decomposed:
            a, k = args, kwargs
            for other in decomposed:
                if other is not carrier:
                    a, k = other.replace(a, k, frozen[other])
            terms.append(op.linear(carrier, args=a, kwargs=k))
        return total(terms, 1 / len(terms))


def einsum(op: Op) -> Any:
    """``einsum(equation, *operands)`` or ``einsum(equation, [operands])``."""
    equation, *operands = op.args
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = list(operands[0])
    args = (equation, *operands)
    factors = tuple(Arg(i, f"operand {i}") for i in range(1, len(args)))
    return Multilinear.distribute(op, args, {}, factors)


_TWO_FACTORS = ("mul", "multiply", "__mul__", "__rmul__", "matmul", "__matmul__", "__rmatmul__",
                "mm", "bmm", "mv", "outer", "dot")
for _op in tensor_ops(*_TWO_FACTORS):
    register_rule(_op, Multilinear(INPUT, OTHER))
register_rule(torch.einsum, einsum)
