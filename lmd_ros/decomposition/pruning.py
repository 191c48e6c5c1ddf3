"""Pruning: push streams only through the ops whose outputs can reach a selected output.

Which ops those are is only known once the forward has run, so the first ``decompose`` with a
given model, modalities and ``outputs`` runs in full and records, for every torch call, which
earlier calls produced its decomposed inputs (a liveness analysis over the recorded dataflow).
Later calls follow that ``Plan``: a dead call just runs, on the reference, like an op on
constants. The plan is checked as it is followed: every call must be the recorded function, and
every live call must see decomposed inputs exactly where the recording did (a dead op that was
wrongly skipped shows up there as a constant). The first difference raises ``PlanMismatch`` and
the decomposition is redone in full, recording a new plan. So a model whose path depends on
its input is never pruned wrongly, only more slowly.
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from torch import nn

INPUT_PRODUCER = -1
"""The producer of a modality input: no call."""


class PlanMismatch(Exception):
    """The forward left the recorded plan: the decomposition must be redone in full."""


class Liveness:
    """Records the dataflow between calls during a full decomposition."""

    def __init__(self) -> None:
        self.funcs: list[Any] = []
        self.sources: dict[int, frozenset[int]] = {}
        self.masks: dict[int, tuple[bool, ...]] = {}

    def call(self, func: Any) -> int:
        self.funcs.append(func)
        return len(self.funcs) - 1

    def dispatched(self, index: int, producers: list[int], mask: tuple[bool, ...]) -> None:
        self.sources[index] = frozenset(producers) - {INPUT_PRODUCER}
        self.masks[index] = mask

    def plan(self, roots: list[int], outputs_mask: tuple[bool, ...]) -> Plan:
        live: set[int] = set()
        pending = [r for r in roots if r != INPUT_PRODUCER]
        while pending:
            index = pending.pop()
            if index not in live:
                live.add(index)
                pending += self.sources.get(index, ())
        masks = {i: m for i, m in self.masks.items() if i in live}
        return Plan(tuple(self.funcs), frozenset(live), masks, outputs_mask)


@dataclass(frozen=True)
class Plan:
    """The calls of a recorded forward, which of them are live, and what a live one saw."""

    funcs: tuple[Any, ...]
    live: frozenset[int]
    masks: dict[int, tuple[bool, ...]]
    outputs_mask: tuple[bool, ...]

    def is_live(self, index: int, func: Any) -> bool:
        if index >= len(self.funcs) or self.funcs[index] is not func:
            raise PlanMismatch
        return index in self.live

    def check_inputs(self, index: int, mask: tuple[bool, ...]) -> None:
        if self.masks.get(index) != mask:
            raise PlanMismatch

    def check_end(self, calls: int, outputs_mask: tuple[bool, ...]) -> None:
        if calls != len(self.funcs) or outputs_mask != self.outputs_mask:
            raise PlanMismatch


class PlanCache:
    """Plans per model (weakly) and per decomposition setting."""

    def __init__(self) -> None:
        self._plans: weakref.WeakKeyDictionary[nn.Module, dict[Hashable, Plan]] = (
            weakref.WeakKeyDictionary())

    def get(self, model: nn.Module, key: Hashable) -> Plan | None:
        return self._plans.get(model, {}).get(key)

    def put(self, model: nn.Module, key: Hashable, plan: Plan | None) -> None:
        plans = self._plans.setdefault(model, {})
        if plan is None:
            plans.pop(key, None)
        else:
            plans[key] = plan


PLANS = PlanCache()
