"""Custom ``torch.autograd.Function``s: one op each, unless declared transparent.

``Function.apply`` bypasses ``__torch_function__``, so without help the engine would trace the
Function's insides, and ``MemoryEfficientSwish`` (``i * sigmoid(i)`` inside a Function) would split
as a product instead of as the activation it is: a different, silent answer. While a tracer is
active, ``apply`` is routed through ``__torch_function__`` as one call of the class's dispatcher;
a Function that touches a decomposed tensor then needs a rule (``register_rule(Cls, rule)``) or
``declare_transparent(Cls)`` (its forward is plain torch: trace it). With no tracer active, or
on constants, ``apply`` behaves exactly as before.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch.overrides import handle_torch_function, has_torch_function
from torch.utils._pytree import tree_leaves

_TRANSPARENT: set[type[torch.autograd.Function]] = set()
_ORIGINAL_APPLY = torch.autograd.Function.__dict__["apply"]
_lock = threading.Lock()
_active = 0


def declare_transparent(function: type[torch.autograd.Function]) -> None:
    """Trace through ``function``'s forward (plain torch ops) instead of requiring a rule."""
    _TRANSPARENT.add(function)


@functools.cache
def dispatcher(function: type[torch.autograd.Function]) -> Callable:
    """The callable that stands for ``function.apply`` in the rule table and in errors."""

    def apply(*args: Any, **kwargs: Any) -> Any:
        return _ORIGINAL_APPLY.__get__(None, function)(*args, **kwargs)

    apply.__qualname__ = f"{function.__qualname__}.apply"
    apply.function = function
    return apply


@contextmanager
def intercepted() -> Iterator[None]:
    """Route every ``Function.apply`` through ``__torch_function__`` while a tracer runs."""
    global _active
    with _lock:
        if not _active:
            torch.autograd.Function.apply = classmethod(_apply)
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if not _active:
                torch.autograd.Function.apply = _ORIGINAL_APPLY


def _apply(cls: type[torch.autograd.Function], *args: Any, **kwargs: Any) -> Any:
    tensors = [t for t in tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor)]
    if cls in _TRANSPARENT or not has_torch_function(tensors):
        return _ORIGINAL_APPLY.__get__(None, cls)(*args, **kwargs)
    return handle_torch_function(dispatcher(cls), tensors, *args, **kwargs)
