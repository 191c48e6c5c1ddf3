"""Any adapter's fusion point as the evaluation needs it: a module of one input per modality.

The perturbation protocol swaps one modality's input for a partner's, so every method sees the
decomposed module as ``fusion(*per_modality_inputs)``. An adapter's `FusionCall` names a module
(or a ``start_at`` submodule) and which of its positional inputs belong to which modality; its
other inputs (a grid, a mask) are captured once and must be the same for every sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from lmd_ros.adapters import FusionCall, ModelAdapter
from lmd_ros.evaluation.samples import FusionInputs
from lmd_ros.sensors import Rig, SensorFrame


class FusionPoint(nn.Module):
    """``module`` with its modality inputs at ``positions`` and every other input fixed."""

    def __init__(self, module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any],
                 positions: Sequence[int]) -> None:
        super().__init__()
        self.module = module
        self.fixed_args = args
        self.fixed_kwargs = kwargs
        self.positions = tuple(positions)

    def forward(self, *modality_inputs: torch.Tensor) -> Any:
        args = list(self.fixed_args)
        for position, value in zip(self.positions, modality_inputs, strict=True):
            args[position] = value
        return self.module(*args, **self.fixed_kwargs)


@torch.no_grad()
def fusion_point(adapter: ModelAdapter, frames: Sequence[SensorFrame], rig: Rig
                 ) -> tuple[nn.Module, list[FusionInputs]]:
    """The adapter's fusion point and each frame's per-modality inputs to it: the module itself
    when its inputs are exactly the modalities' in order (as the reference head's), else a
    `FusionPoint` around it.

    Raises ValueError when the fusion point does not take one positional tensor per modality or
    its other inputs differ between frames (the protocol could not swap modalities alone).
    """
    captured = [_fusion_arguments(adapter.fusion_call(frame, rig)) for frame in frames]
    (module, args, kwargs, selectors), *_ = captured
    positions = []
    for modality in adapter.modalities:
        selector = selectors[modality]
        if not isinstance(selector, int):
            raise ValueError(f"the evaluation needs one positional input per modality at the "
                             f"fusion point; {modality!r} is selected by {selector!r}")
        positions.append(selector)
    for _, other_args, other_kwargs, _ in captured[1:]:
        if not _same_fixed(args, other_args, positions) or \
                not _same_fixed(kwargs, other_kwargs, ()):
            raise ValueError("the fusion point's non-modality inputs differ between frames; "
                             "the evaluation swaps modality inputs only")
    samples = [tuple(a[p] for p in positions) for _, a, _, _ in captured]
    if positions == list(range(len(args))) and not kwargs:
        return module, samples
    return FusionPoint(module, args, kwargs, positions), samples


def _fusion_arguments(call: FusionCall) -> tuple[nn.Module, tuple, dict, Any]:
    """The module LMD starts at and the arguments it is called with (the first call)."""
    if call.start_at is None:
        return call.module, tuple(call.args), dict(call.kwargs), call.modalities
    target = call.module.get_submodule(call.start_at)
    seen: list[tuple[tuple, dict]] = []

    def record(_module: nn.Module, args: tuple, kwargs: dict) -> None:
        if not seen:
            seen.append((args, kwargs))

    handle = target.register_forward_pre_hook(record, with_kwargs=True)
    try:
        call.module(*call.args, **call.kwargs)
    finally:
        handle.remove()
    if not seen:
        raise ValueError(f"module {call.start_at!r} never ran")
    args, kwargs = seen[0]
    return target, tuple(args), dict(kwargs), call.modalities


def _same_fixed(a: Any, b: Any, skip: Sequence[int]) -> bool:
    items_a = a.items() if isinstance(a, dict) else enumerate(a)
    other = b if isinstance(b, dict) else dict(enumerate(b))
    for key, value in items_a:
        if key in skip:
            continue
        theirs = other.get(key)
        if isinstance(value, torch.Tensor):
            if not (isinstance(theirs, torch.Tensor) and torch.equal(value, theirs)):
                return False
        elif value != theirs:
            return False
    return True
