"""The torch-function mode that carries streams alongside the reference tensors of a forward."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_flatten, tree_leaves, tree_unflatten
from torch.utils.weak import WeakIdKeyDictionary

from lmd_ros.decomposition.inplace import out_of_place
from lmd_ros.decomposition.op import Op
from lmd_ros.decomposition.options import RuleOptions
from lmd_ros.decomposition.registry import rule_for
from lmd_ros.decomposition.streams import Streams
from lmd_ros.decomposition.switches import ACTIVATION, Switches

BIAS = "bias"


class Tracer(TorchFunctionMode):
    """Maps every decomposed reference tensor (weakly, by identity) to its streams.

    An op touching no decomposed tensor runs as it is. Otherwise the original op computes the
    reference (so the reference is bit-identical to a plain forward) and the op's rule computes
    the streams. With ``explicit`` the bias is carried as a stream; without it, it is derived at
    the end as reference − Σ modality streams. ``linearized``: the references are replaced by the
    sum of the streams (a linearization pushing other inputs through frozen switches).
    """

    def __init__(self, n_modalities: int, rules: RuleOptions, switches: Switches,
                 explicit: bool, linearized: bool = False) -> None:
        super().__init__()
        self.n_modalities = n_modalities
        self.rules = rules
        self.switches = switches
        self.explicit = explicit or linearized
        self.linearized = linearized
        self.where: Callable[[], str] = lambda: "<model>"
        self._depth = 0  # how many times this mode is entered (a composite rule re-enters it)
        self._streams: WeakIdKeyDictionary = WeakIdKeyDictionary()

    def __enter__(self) -> Tracer:
        self._depth += 1
        return super().__enter__()

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        self._depth -= 1

    def seed(self, tensor: torch.Tensor, modality: int) -> None:
        """Declare ``tensor`` to be wholly modality ``modality``."""
        if not tensor.is_floating_point():
            raise TypeError(f"modality inputs must be floating point, got {tensor.dtype}")
        if tensor in self._streams:
            raise ValueError("one tensor is given as the input of two modalities")
        self._register(tensor, Streams(tensor.unsqueeze(0), (modality,)))

    def lookup(self, tensor: torch.Tensor) -> Streams | None:
        entry = self._streams.get(tensor)
        if entry is None:
            if tensor._base is not None and tensor._base in self._streams:
                raise _stale()  # a view taken before its base was written in place
            return None
        streams, version = entry
        if streams is None or _version(tensor) != version:
            raise _stale()
        return streams

    def split(self, tree: Any, names: list[str]) -> dict[str, Any]:
        """Per stream name (``names`` then ``"bias"``), ``tree`` with each tensor's stream."""
        leaves, spec = tree_flatten(tree)
        parts = [self._parts(leaf) for leaf in leaves]
        return {name: tree_unflatten([p[k] for p in parts], spec)
                for k, name in enumerate((*names, BIAS))}

    @contextmanager
    def suspended(self) -> Iterator[None]:
        """Run our own tensor code, untraced, from inside a traced forward (module hooks)."""
        if not self._depth:
            yield
            return
        self.__exit__(None, None, None)
        try:
            yield
        finally:
            self.__enter__()

    def __torch_function__(self, func: Any, types: Any, args: tuple = (),
                           kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        if all(self.lookup(t) is None for t in tensors_in(args, kwargs)):
            return func(*args, **kwargs)
        return self.dispatch(func, args, kwargs)

    def dispatch(self, func: Any, args: tuple, kwargs: dict) -> Any:
        """Run one op that touches a decomposed tensor; record the streams of its outputs."""
        rewritten = out_of_place(func, args, kwargs)
        if rewritten is not None:
            self._write_back(args[0], self.dispatch(*rewritten))
            return None if func is torch.Tensor.__setitem__ else args[0]
        out = func(*args, **kwargs)
        if isinstance(out, torch.Tensor):
            leaves, spec = [out], None
        else:
            leaves, spec = tree_flatten(out)
            if not any(isinstance(t, torch.Tensor) for t in leaves):
                return out  # metadata: shapes, dtypes, Python scalars for control flow
        op = Op(self, func, args, kwargs, out)
        if any(isinstance(t, torch.Tensor) and t.is_floating_point() for t in leaves):
            result = rule_for(func, self.where())(op)
        else:  # masks, indices: constants derived from decomposed data are switches
            result = [op.switch(lambda t=t: t, ACTIVATION) for t in leaves]
        results = result if isinstance(result, list | tuple) else [result]
        results = tree_leaves(results, is_leaf=lambda x: x is None)
        if len(results) != len(leaves):
            raise RuntimeError(f"the rule for {op.func} returned {len(results)} outputs for "
                               f"{len(leaves)}")
        adopted = self._adopt(leaves, results)
        return adopted[0] if spec is None else tree_unflatten(adopted, spec)

    def _adopt(self, leaves: list[Any], results: list[Any]) -> list[Any]:
        adopted = []
        for leaf, streams in zip(leaves, results, strict=True):
            if isinstance(streams, Streams):
                if self.linearized:
                    leaf = streams.values.sum(0)
                self._register(leaf, streams)
                adopted.append(leaf)
            else:  # a tensor replaces the output (a switch); None keeps it (a constant)
                adopted.append(leaf if streams is None else streams)
        return adopted

    def _write_back(self, target: torch.Tensor, result: torch.Tensor) -> None:
        target.copy_(result)
        streams = self.lookup(result)
        if streams is None:
            self._streams.pop(target, None)
        else:
            self._register(target, streams.map(lambda v: v.to(target.dtype)))
        if target._is_view() and target._base not in self._streams:
            self._streams[target._base] = (None, None)  # its streams are unknown from now on

    def _register(self, tensor: torch.Tensor, streams: Streams) -> None:
        self._streams[tensor] = (streams, _version(tensor))

    def _parts(self, leaf: Any) -> list[Any]:
        """The M + 1 streams of one output leaf (non-float leaves are repeated as they are)."""
        if not (isinstance(leaf, torch.Tensor) and leaf.is_floating_point()):
            return [leaf] * (self.n_modalities + 1)
        streams = self.lookup(leaf)
        if streams is None:
            return [torch.zeros_like(leaf)] * self.n_modalities + [leaf]
        if self.explicit:
            return list(streams.aligned(tuple(range(self.n_modalities + 1))).unbind(0))
        rows = streams.aligned(tuple(range(self.n_modalities)))
        return [*rows.unbind(0), leaf - rows.sum(0)]


def _version(tensor: torch.Tensor) -> int | None:
    """Bumped by every in-place write; inference tensors have none (writes go unchecked)."""
    return None if tensor.is_inference() else tensor._version


def _stale() -> RuntimeError:
    return RuntimeError(
        "a tensor whose memory was written in place through another tensor (a view) is used: "
        "its streams are unknown. Write out of place, or take views after the write")


def tensors_in(args: tuple, kwargs: dict) -> list[torch.Tensor]:
    """The tensors among a call's arguments (pytree only when there are containers: fast)."""
    values = (*args, *kwargs.values())
    if any(isinstance(v, list | tuple | dict) for v in values):
        values = tree_leaves(values)
    return [v for v in values if isinstance(v, torch.Tensor)]
