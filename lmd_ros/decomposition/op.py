"""One intercepted call as a rule sees it, with the few helpers every rule is built from."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
from torch.utils._pytree import tree_flatten, tree_leaves, tree_map, tree_unflatten

from lmd_ros.decomposition.options import RuleOptions
from lmd_ros.decomposition.registry import INPUT, Arg, UnsupportedOpError, signature, unsupported
from lmd_ros.decomposition.streams import Streams, union

if TYPE_CHECKING:
    from lmd_ros.decomposition.tracer import Tracer


class Op:
    """``func(*args, **kwargs)`` returned ``out``; the tensors in them are reference tensors.

    A rule returns the streams of ``out``: see the package docstring.
    """

    def __init__(self, tracer: Tracer, func: Any, args: tuple, kwargs: dict, out: Any) -> None:
        self.tracer = tracer
        self.func = func
        self.args = args
        self.kwargs = kwargs
        self.out = out

    @property
    def rules(self) -> RuleOptions:
        return self.tracer.rules

    @property
    def n_streams(self) -> int:
        """M + 1: the modalities and the bias."""
        return self.tracer.n_modalities + 1

    def arg(self, where: Arg, default: Any = None) -> Any:
        return where.get(self.args, self.kwargs, default)

    def bound(self) -> dict[str, Any]:
        """Every argument by name, defaults filled in (for ops written in Python)."""
        bound = signature(self.func).bind(*self.args, **self.kwargs)
        bound.apply_defaults()
        return bound.arguments

    def streams(self, x: Any) -> Streams | None:
        """The streams of ``x``, or None if it is a constant."""
        return self.tracer.lookup(x) if isinstance(x, torch.Tensor) else None

    def single(self, where: Arg = INPUT) -> tuple[torch.Tensor, Streams]:
        """The argument at ``where`` and its streams; no other argument may be decomposed."""
        x = self.arg(where)
        streams = self.streams(x)
        others = [t for t in tree_leaves((self.args, self.kwargs)) if t is not x]
        if streams is None or any(self.streams(t) is not None for t in others):
            raise self.unsupported(f"is decomposed here only in its argument '{where.name}'")
        return x, streams

    def switch(self, compute: Callable[[], Any], kind: str) -> Any:
        """``compute()`` at the reference, or its frozen record under a linearization."""
        return self.tracer.switches(self.func, compute, kind, self.tracer.current)

    def linear(self, *slots: Arg, func: Callable | None = None, args: tuple | None = None,
               kwargs: dict | None = None) -> Any:
        """Streams of ``func(*args, **kwargs)`` (default: this call), jointly linear in ``slots``.

        Every stream runs through ``func`` in one vmapped call. A constant in a slot (a conv
        bias, the ``c`` of ``x + c``, a constant piece of a ``cat``) is an additive offset: it
        goes to the bias stream, zero to the others. Decomposed tensors outside the slots raise;
        with none in them the result is a constant (None).
        """
        func = self.func if func is None else func
        args = self.args if args is None else args
        kwargs = self.kwargs if kwargs is None else kwargs
        leaves, spec = tree_flatten((args, kwargs))
        in_slot = _slot_mask(args, kwargs, slots)
        streams: dict[int, Streams] = {}
        for i, leaf in enumerate(leaves):
            if (s := self.streams(leaf)) is not None:
                if not in_slot[i]:
                    raise self.unsupported("is decomposed here in an argument it is not linear in")
                streams[i] = s
        if not streams:
            return None
        constants = [i for i, leaf in enumerate(leaves)
                     if in_slot[i] and i not in streams and _is_value(leaf)]
        bias = self.tracer.n_modalities
        carries_offset = self.tracer.explicit and bool(constants)
        ids = union([s.ids for s in streams.values()] + ([(bias,)] if carries_offset else []))
        rows = {i: s.aligned(ids) for i, s in streams.items()}

        def call(replaced: dict[int, Any]) -> Any:
            a, k = tree_unflatten([replaced.get(i, leaf) for i, leaf in enumerate(leaves)], spec)
            return func(*a, **k)

        n = len(ids) - carries_offset  # rows without the offset: zero in the constants' place
        parts = []
        if n:
            tensors = [i for i in constants if isinstance(leaves[i], torch.Tensor)]
            numbers = {i: type(leaves[i])(0) for i in constants if i not in tensors}
            batched = [*rows, *tensors]
            inputs = [r[:n] for r in rows.values()]
            inputs += [leaves[i].new_zeros(()).expand(n, *leaves[i].shape) for i in tensors]
            parts.append(torch.vmap(
                lambda *v: call({**numbers, **dict(zip(batched, v, strict=True))}))(*inputs))
        if carries_offset:
            bias_row = call({i: r[-1] for i, r in rows.items()})
            parts.append(tree_map(lambda t: t.unsqueeze(0), bias_row))
        values = parts[0] if len(parts) == 1 else tree_map(lambda *p: torch.cat(p), *parts)
        return tree_map(lambda v: Streams(v, ids), values)

    def add_bias(self, streams: Streams, offset: torch.Tensor) -> Streams:
        """Add a constant to the bias stream (implicit, so a no-op, when the bias is derived)."""
        if not self.tracer.explicit:
            return streams
        ids = union([streams.ids, (self.tracer.n_modalities,)])
        rows = streams.aligned(ids)
        last = (rows[-1] + offset).to(rows.dtype).unsqueeze(0)
        return Streams(torch.cat([rows[:-1], last]), ids)

    def add_shared(self, streams: Streams, offset: torch.Tensor) -> Streams:
        """Share a constant evenly: ``offset / (M + 1)`` added to every stream."""
        ids = tuple(range(self.n_streams if self.tracer.explicit else self.n_streams - 1))
        rows = streams.aligned(ids)
        return Streams(rows + (offset / self.n_streams).to(rows.dtype), ids)

    def unsupported(self, problem: str) -> UnsupportedOpError:
        return unsupported(self.func, self.tracer.where(), problem)


def _slot_mask(args: tuple, kwargs: dict, slots: tuple[Arg, ...]) -> list[bool]:
    """For every pytree leaf of ``(args, kwargs)``: does it sit in one of ``slots``?"""
    indices = {s.index for s in slots}
    names = {s.name for s in slots}
    mask = []
    for i, a in enumerate(args):
        mask += [i in indices] * len(tree_leaves(a))
    for name, v in kwargs.items():
        mask += [name in names] * len(tree_leaves(v))
    return mask


def _is_value(leaf: Any) -> bool:
    """A tensor or a number (an additive constant when it sits in a linear slot)."""
    return isinstance(leaf, torch.Tensor | int | float) and not isinstance(leaf, bool)
