"""Switches: what makes a nonlinear op locally linear, computed now, recorded, or replayed frozen.

A rule asks for a switch with ``op.switch(compute, kind)``. ``decompose`` computes it at the
reference; ``linearize`` records every switch in call order and its linearization replays them,
frozen, on other inputs. An ablation leaves one kind unfrozen: recomputed at the current input.
The recording also keeps the signature of every decomposed op (name, output shapes, calling
module), and the replay checks each op against it, so a model that takes another path (other
ops, other shapes, another module) fails at the first difference instead of pairing switches
with the wrong ops.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch.utils._pytree import tree_map

from lmd_ros.decomposition.registry import op_name

ACTIVATION = "activation"
"""Activation slopes, selections (max indices, masks), softmax maps, denominators, and the
frozen factors of products."""
NORMALIZATION = "normalization"
"""The cached mean and standard deviation of LayerNorm / InstanceNorm / GroupNorm."""
RANDOM = "random"
"""The draws of random ops: always frozen (an ablation cannot redraw them)."""

Signature = tuple[str, tuple, str]
"""An op's name, the shapes of its tensor outputs, and the module that called it."""


class Switches:
    """``switches(func, compute, kind)`` -> the switch value for one call of ``func``;
    ``observe(func, out, where)`` sees every decomposed op. This base computes switches now."""

    def __call__(self, func: Any, compute: Callable[[], Any], kind: str) -> Any:
        return compute()

    def observe(self, func: Any, out: list[Any], where: str) -> None:
        """Called for every op that touches a decomposed tensor, with its output leaves."""


compute_now = Switches()


class Recorder(Switches):
    """Computes every switch and keeps a private copy, in call order, and every op's signature."""

    def __init__(self) -> None:
        self.records: list[tuple[Any, Any]] = []
        self.ops: list[Signature] = []

    def __call__(self, func: Any, compute: Callable[[], Any], kind: str) -> Any:
        value = compute()
        self.records.append((func, tree_map(_private, value)))
        return value

    def observe(self, func: Any, out: list[Any], where: str) -> None:
        self.ops.append(_signature(func, out, where))


class Replayer(Switches):
    """Hands out recorded switches in order; kinds not in ``frozen`` are recomputed instead."""

    def __init__(self, recorder: Recorder, frozen: frozenset[str]) -> None:
        self._records = recorder.records
        self._ops = recorder.ops
        self._frozen = frozen | {RANDOM}
        self._next = 0
        self._next_op = 0

    def observe(self, func: Any, out: list[Any], where: str) -> None:
        now = _signature(func, out, where)
        if self._next_op == len(self._ops):
            raise _diverged(f"op #{self._next_op} {_described(now)} was never recorded")
        recorded = self._ops[self._next_op]
        if now != recorded:
            raise _diverged(f"op #{self._next_op} is {_described(now)} where "
                            f"{_described(recorded)} was recorded")
        self._next_op += 1

    def __call__(self, func: Any, compute: Callable[[], Any], kind: str) -> Any:
        if self._next == len(self._records):
            raise _diverged(f"an extra call of {op_name(func)}")
        recorded_func, value = self._records[self._next]
        if recorded_func != func:
            raise _diverged(f"{op_name(func)} where {op_name(recorded_func)} was recorded")
        self._next += 1
        return value if kind in self._frozen else compute()

    def finish(self) -> None:
        if self._next_op != len(self._ops):
            raise _diverged(f"{len(self._ops) - self._next_op} recorded ops never ran")
        if self._next != len(self._records):
            raise _diverged(f"{len(self._records) - self._next} recorded switches unused")


def _signature(func: Any, out: list[Any], where: str) -> Signature:
    shapes = tuple(tuple(t.shape) for t in out if isinstance(t, torch.Tensor))
    return op_name(func), shapes, where


def _described(signature: Signature) -> str:
    name, shapes, where = signature
    return f"{name} -> {[list(s) for s in shapes]} in module '{where}'"


def _private(value: Any) -> Any:
    return value.clone() if isinstance(value, torch.Tensor) else value


def _diverged(what: str) -> RuntimeError:
    return RuntimeError(
        f"the linearized model took another path than at the recorded input ({what}): its "
        "control flow depends on the input, so the recorded switches do not apply"
    )
