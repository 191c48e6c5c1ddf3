"""The rule table: which rule decomposes which op, and the error for an op without one."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import torch
from torch.overrides import handle_torch_function, has_torch_function, resolve_name
from torch.utils._pytree import tree_leaves

if TYPE_CHECKING:
    from lmd_ros.decomposition.op import Op

Rule = Callable[["Op"], Any]
"""``rule(op)`` -> the streams of ``op.out``: see the package docstring."""

_RULES: dict[Any, Rule] = {}


class UnsupportedOpError(NotImplementedError):
    """An op reached a decomposed tensor and no rule says how to split it (never a guess)."""


class Arg(NamedTuple):
    """Where an argument sits: its position, or its name when passed by keyword."""

    index: int
    name: str

    def get(self, args: tuple, kwargs: dict, default: Any = None) -> Any:
        if self.index < len(args):
            return args[self.index]
        return kwargs.get(self.name, default)

    def replace(self, args: tuple, kwargs: dict, value: Any) -> tuple[tuple, dict]:
        if self.index < len(args):
            return (*args[: self.index], value, *args[self.index + 1 :]), kwargs
        return args, {**kwargs, self.name: value}


INPUT = Arg(0, "input")
OTHER = Arg(1, "other")


def register_rule(op: Any, rule: Rule) -> None:
    """Decompose ``op`` with ``rule`` from now on (replacing any rule it had).

    ``op`` is what the model calls: a torch function (``torch.erf``), a Tensor method
    (``torch.Tensor.erf``), a ``torch.nn.functional`` function, or a ``torch.autograd.Function``
    subclass. The latter's ``apply`` bypasses ``__torch_function__``, so registering the class
    makes its ``apply`` dispatch through it, as torch's own Python functions do; with no mode
    active it behaves exactly as before.
    """
    if isinstance(op, type) and issubclass(op, torch.autograd.Function):
        op = _dispatching_apply(op)
    _RULES[op] = rule


def tensor_ops(*names: str) -> list[Callable]:
    """The Tensor methods and torch functions of these names (for registering them at once)."""
    found = [getattr(namespace, name, None)
             for name in names for namespace in (torch.Tensor, torch)]
    return [op for op in found if callable(op)]


def rule_for(func: Any, where: str) -> Rule:
    """The registered rule of ``func``; ``UnsupportedOpError`` if there is none."""
    rule = _RULES.get(func)
    if rule is None:
        raise unsupported(func, where, "has no decomposition rule")
    return rule


def op_name(func: Any) -> str:
    return resolve_name(func) or getattr(func, "__qualname__", None) or repr(func)


def unsupported(func: Any, where: str, problem: str) -> UnsupportedOpError:
    name = op_name(func)
    return UnsupportedOpError(
        f"{name} (called in module '{where}') {problem}. If the op is linear, or you can say how "
        f"to split it, register a rule: lmd_ros.decomposition.register_rule({name}, rule); "
        "see the lmd_ros.decomposition docstring for the rule interface."
    )


@functools.cache
def signature(func: Callable) -> inspect.Signature:
    return inspect.signature(func)


def _dispatching_apply(function: type[torch.autograd.Function]) -> Callable:
    """Route ``function.apply`` through ``__torch_function__`` (once per class)."""
    original = function.apply
    if getattr(original, "dispatches_torch_function", False):
        return original

    def apply(*args: Any, **kwargs: Any) -> Any:
        tensors = [t for t in tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor)]
        if has_torch_function(tensors):
            return handle_torch_function(apply, tensors, *args, **kwargs)
        return original(*args, **kwargs)

    apply.dispatches_torch_function = True
    apply.__qualname__ = f"{function.__qualname__}.apply"
    function.apply = staticmethod(apply)
    return apply
