"""Calls that take a decomposed tensor's values out of torch, where no rule can follow them.

``torch.from_numpy(np.tanh(h.numpy()))`` would come back as a tensor the engine has never seen: a
constant, so every stream of h silently moves into the bias. These calls therefore raise.
Reading a value for control flow (``.item()``, ``bool()``, comparisons) stays allowed: it reads
the reference. The ways out: a rule for the op that encloses the excursion (``register_rule``),
or ``as_switch(h)``, which states that the value is only used as a switch (an index, a mask, a
slope): a constant to the streams, frozen under ``linearize``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.overrides import handle_torch_function, has_torch_function_unary

from lmd_ros.decomposition.registry import UnsupportedOpError, op_name

EXITS = frozenset({
    torch.Tensor.numpy, torch.Tensor.__array__, torch.Tensor.tolist, torch.Tensor.__dlpack__,
    torch.Tensor.data_ptr, torch.Tensor.untyped_storage, torch.Tensor.storage,
})


def as_switch(tensor: torch.Tensor) -> torch.Tensor:
    """A copy of ``tensor`` that the engine treats as a switch: no streams, frozen under
    ``linearize``. Outside a decomposition it is ``tensor.clone()``."""
    if has_torch_function_unary(tensor):
        return handle_torch_function(as_switch, (tensor,), tensor)
    return tensor.clone()


def leaving_torch(func: Any, where: str) -> UnsupportedOpError:
    name = op_name(func)
    return UnsupportedOpError(
        f"{name} (called in module '{where}') takes a decomposed tensor out of torch, where its "
        "streams cannot follow: what comes back would be a constant and the streams would move "
        "into the bias. Register a rule for the op that encloses this code "
        "(lmd_ros.decomposition.register_rule), or, if the value only steers the computation "
        "(indices, masks), pass lmd_ros.decomposition.as_switch(tensor) instead.")
