"""Switches: what makes a nonlinear op locally linear, computed now, recorded, or replayed frozen.

A rule asks for a switch with ``op.switch(compute, kind)``. ``decompose`` computes it at the
reference; ``linearize`` records every switch in call order and its linearization replays them,
frozen, on other inputs. An ablation leaves one kind unfrozen: recomputed at the current input.
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

Switches = Callable[[Any, Callable[[], Any], str], Any]
"""``switches(func, compute, kind)`` -> the switch value for one call of ``func``."""


def compute_now(func: Any, compute: Callable[[], Any], kind: str) -> Any:
    return compute()


class Recorder:
    """Computes every switch and keeps a private copy, in call order."""

    def __init__(self) -> None:
        self.records: list[tuple[Any, Any]] = []

    def __call__(self, func: Any, compute: Callable[[], Any], kind: str) -> Any:
        value = compute()
        self.records.append((func, tree_map(_private, value)))
        return value


class Replayer:
    """Hands out recorded switches in order; kinds not in ``frozen`` are recomputed instead."""

    def __init__(self, records: list[tuple[Any, Any]], frozen: frozenset[str]) -> None:
        self._records = records
        self._frozen = frozen
        self._next = 0

    def __call__(self, func: Any, compute: Callable[[], Any], kind: str) -> Any:
        if self._next == len(self._records):
            raise _diverged(f"an extra call of {op_name(func)}")
        recorded_func, value = self._records[self._next]
        if recorded_func != func:
            raise _diverged(f"{op_name(func)} where {op_name(recorded_func)} was recorded")
        self._next += 1
        return value if kind in self._frozen else compute()

    def finish(self) -> None:
        if self._next != len(self._records):
            raise _diverged(f"{len(self._records) - self._next} recorded switches unused")


def _private(value: Any) -> Any:
    return value.clone() if isinstance(value, torch.Tensor) else value


def _diverged(what: str) -> RuntimeError:
    return RuntimeError(
        f"the linearized model took another path than at the recorded input ({what}): its "
        "control flow depends on the input, so the recorded switches do not apply"
    )
