"""The rule table: which rule decomposes which op, and the error for an op without one."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import torch
from torch.overrides import resolve_name

from lmd_ros.decomposition.functions import dispatcher

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
    subclass (one op to the engine, see ``functions.py``).
    """
    if isinstance(op, type) and issubclass(op, torch.autograd.Function):
        op = dispatcher(op)
    _RULES[op] = rule


def tensor_ops(*names: str) -> list[Callable]:
    """The Tensor methods and torch functions of these names (for registering them at once)."""
    found = [getattr(namespace, name, None)
             for name in names for namespace in (torch.Tensor, torch)]
    return [op for op in found if callable(op)]


def rule_for(func: Any, where: str) -> Rule:
    """The registered rule of ``func``; ``UnsupportedOpError`` if there is none."""
    rule = _RULES.get(func)
    if rule is None and hasattr(func, "function"):
        name = func.function.__name__
        raise UnsupportedOpError(
            f"the custom torch.autograd.Function {name} (called in module '{where}') has no "
            f"decomposition rule; the engine treats a Function as one op. Register one, e.g. "
            f"lmd_ros.decomposition.register_rule({name}, secant) for an elementwise activation, "
            f"or, if its forward is plain torch, trace through it: "
            f"lmd_ros.decomposition.declare_transparent({name}).")
    if rule is None:
        problem = "has no decomposition rule"
        if isinstance(func, torch._ops.OpOverload | torch._ops.OpOverloadPacket):
            problem = "is a custom op the engine cannot see into, and it has no decomposition rule"
        raise unsupported(func, where, problem)
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
