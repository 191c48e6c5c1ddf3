"""Switches: what makes a nonlinear op locally linear, computed now, recorded, or replayed frozen.

A rule asks for a switch with ``op.switch(compute, kind)``. ``decompose`` computes it at the
reference; ``linearize`` records every switch in call order and its linearization replays them,
frozen, on other inputs. An ablation leaves one kind unfrozen: recomputed at the current input.
The recording also keeps the signature of every decomposed op (name, output shapes, calling
module), and the replay checks each op against it, so a model that takes another path (other
ops, other shapes, another module) fails at the first difference instead of pairing switches
with the wrong ops. Every record carries the top-level call it belongs to, so a replay pruned
to some outputs (``pruning.py``) skips the records of the calls it does not run.
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
    """``switches(func, compute, kind, index)`` -> the switch value for one call of ``func``
    within top-level call ``index`` (None: always replayed); ``observe(func, out, where, index)``
    sees every decomposed op. This base computes switches now."""

    def __call__(self, func: Any, compute: Callable[[], Any], kind: str,
                 index: int | None = None) -> Any:
        return compute()

    def observe(self, func: Any, out: list[Any], where: str, index: int | None = None) -> None:
        """Called for every op that touches a decomposed tensor, with its output leaves."""


compute_now = Switches()


class Recorder(Switches):
    """Computes every switch and keeps a private copy, in call order, and every op's signature."""

    def __init__(self) -> None:
        self.records: list[tuple[int | None, Any, Any]] = []
        self.ops: list[tuple[int | None, Signature]] = []

    def __call__(self, func: Any, compute: Callable[[], Any], kind: str,
                 index: int | None = None) -> Any:
        value = compute()
        self.records.append((index, func, tree_map(_private, value)))
        return value

    def observe(self, func: Any, out: list[Any], where: str, index: int | None = None) -> None:
        self.ops.append((index, _signature(func, out, where)))


class Replayer(Switches):
    """Hands out recorded switches in order; kinds not in ``frozen`` are recomputed instead.
    ``live``: the top-level calls a pruned replay runs (None: all)."""

    def __init__(self, recorder: Recorder, frozen: frozenset[str],
                 live: frozenset[int] | None = None) -> None:
        def runs(index: int | None) -> bool:
            return live is None or index is None or index in live

        self._records = [(func, value) for index, func, value in recorder.records if runs(index)]
        self._ops = [signature for index, signature in recorder.ops if runs(index)]
        self._frozen = frozen | {RANDOM}
        self._next = 0
        self._next_op = 0

    def observe(self, func: Any, out: list[Any], where: str, index: int | None = None) -> None:
        now = _signature(func, out, where)
        if self._next_op == len(self._ops):
            raise _diverged(f"op #{self._next_op} {_described(now)} was never recorded")
        recorded = self._ops[self._next_op]
        if now != recorded:
            raise _diverged(f"op #{self._next_op} is {_described(now)} where "
                            f"{_described(recorded)} was recorded")
        self._next_op += 1

    def __call__(self, func: Any, compute: Callable[[], Any], kind: str,
                 index: int | None = None) -> Any:
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
