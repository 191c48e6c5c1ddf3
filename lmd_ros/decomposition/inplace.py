"""In-place ops, seen as their out-of-place twin followed by a write into the target.

Rules then only know out-of-place semantics, and read their inputs before anything is
overwritten (``relu_`` needs z, not relu(z), for its slope).
"""

from __future__ import annotations

import functools
from typing import Any

import torch
import torch.nn.functional as F

from lmd_ros.decomposition.registry import signature

_NAMESPACES = (torch.Tensor, torch, F)


def out_of_place(func: Any, args: tuple, kwargs: dict) -> tuple[Any, tuple, dict] | None:
    """``(twin, args, kwargs)`` computing what the in-place ``func`` writes into ``args[0]``."""
    if func is torch.Tensor.__setitem__:
        return assign, args, kwargs
    name = getattr(func, "__name__", "")
    if name.startswith("__i") and name.endswith("__"):
        twin = getattr(torch.Tensor, f"__{name[3:]}", None)
        return (twin, args, kwargs) if callable(twin) else None
    if name.endswith("_") and not name.endswith("__"):
        for namespace in _NAMESPACES:
            if getattr(namespace, name, None) is func:
                twin = getattr(namespace, name[:-1], None)
                return (twin, args, kwargs) if callable(twin) else None
        return None
    if _takes_inplace(func):
        bound = signature(func).bind(*args, **kwargs)
        if bound.arguments.get("inplace"):
            bound.arguments["inplace"] = False
            return func, bound.args, bound.kwargs
    return None


def assign(target: torch.Tensor, key: Any, value: Any) -> torch.Tensor:
    """``target[key] = value``, out of place: jointly linear in ``target`` and ``value``."""
    out = target.clone()
    out[key] = value
    return out


@functools.cache
def _takes_inplace(func: Any) -> bool:
    try:
        return "inplace" in signature(func).parameters
    except (TypeError, ValueError):  # builtins without a Python signature
        return False
