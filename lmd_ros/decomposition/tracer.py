"""The torch-function mode that carries streams alongside the reference tensors of a forward."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_flatten, tree_leaves, tree_unflatten
from torch.utils.weak import WeakIdKeyDictionary

from lmd_ros.decomposition.exits import EXITS, leaving_torch
from lmd_ros.decomposition.functions import intercepted
from lmd_ros.decomposition.inplace import out_of_place
from lmd_ros.decomposition.op import Op
from lmd_ros.decomposition.options import RuleOptions
from lmd_ros.decomposition.pruning import INPUT_PRODUCER, Liveness, Plan
from lmd_ros.decomposition.randomness import RANDOM_OPS, drops_at_random
from lmd_ros.decomposition.registry import op_name, rule_for
from lmd_ros.decomposition.result import BIAS, RANDOM_OP, DecompositionWarning
from lmd_ros.decomposition.slices import Slice
from lmd_ros.decomposition.streams import Streams
from lmd_ros.decomposition.switches import ACTIVATION, RANDOM, Switches


class Tracer(TorchFunctionMode):
    """Maps every decomposed reference tensor (weakly, by identity) to its streams.

    An op touching no decomposed tensor runs as it is. Otherwise the original op computes the
    reference (so the reference is bit-identical to a plain forward) and the op's rule computes
    the streams. With ``explicit`` the bias is carried as a stream; without it, it is derived at
    the end as reference − Σ modality streams. ``linearized``: the references are replaced by the
    sum of the streams (a linearization pushing other inputs through frozen switches).

    Every top-level torch call gets an index. ``liveness`` records which calls fed which
    (pruning's first run); ``plan`` skips the rules of calls that cannot reach a selected output.
    """

    def __init__(self, n_modalities: int, rules: RuleOptions, switches: Switches,
                 explicit: bool, linearized: bool = False, liveness: Liveness | None = None,
                 plan: Plan | None = None) -> None:
        super().__init__()
        self.n_modalities = n_modalities
        self.rules = rules
        self.switches = switches
        self.explicit = explicit or linearized
        self.linearized = linearized
        self.liveness = liveness
        self.plan = plan
        self.calls = 0
        self.warnings: list[DecompositionWarning] = []
        self.nonzero_inputs = [False] * n_modalities
        self.where: Callable[[], str] = lambda: "<model>"
        self._depth = 0  # how many times this mode is entered (a composite rule re-enters it)
        self._inside = 0  # > 0 while a rule runs ops through this mode (a composite rule)
        self.current = INPUT_PRODUCER  # the top-level call being dispatched (its index)
        self._functions = ExitStack()
        self._streams: WeakIdKeyDictionary = WeakIdKeyDictionary()

    def __enter__(self) -> Tracer:
        if not self._depth:
            self._functions.enter_context(intercepted())
        self._depth += 1
        return super().__enter__()

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        self._depth -= 1
        if not self._depth:
            self._functions.close()

    def seed(self, tensor: torch.Tensor, parts: Sequence[tuple[int, Slice | None]]) -> None:
        """Declare ``tensor`` to be the modalities of ``parts``: ``(m, None)`` wholly m,
        ``(m, slice)`` m inside the slice; what no slice covers is a constant (the bias)."""
        if not tensor.is_floating_point():
            raise TypeError(f"modality inputs must be floating point, got {tensor.dtype}")
        if tensor in self._streams:
            raise ValueError("one tensor is given as the input of two modalities; to split "
                             "one tensor, give each modality a Slice of it")
        parts = sorted(parts, key=lambda part: part[0])
        slices = [s for _, s in parts]
        if None in slices and len(parts) > 1:
            raise ValueError("one tensor is given as the input of two modalities; to split "
                             "one tensor, give each modality a Slice of it")
        if any(a.overlaps(b) for i, a in enumerate(slices) for b in slices[i + 1:]):
            raise ValueError(f"the slices {slices} of one input overlap")
        rows = [tensor if s is None else s.part(tensor) for s in slices]
        ids = [m for m, _ in parts]
        channels = tensor.size(1) if tensor.dim() > 1 else 0
        support = [(0, channels) if s is None or s.dim % tensor.dim() != 1 else (s.start, s.stop)
                   for s in slices]
        if None not in slices and self.explicit:
            ids.append(self.n_modalities)
            rows.append(tensor - sum(rows))  # the uncovered rest (exactly: disjoint parts)
            support.append((0, channels))
        for m, row in zip(ids, rows, strict=True):
            if m < self.n_modalities and bool(row.any()):
                self.nonzero_inputs[m] = True
        values = rows[0].unsqueeze(0) if len(rows) == 1 else torch.stack(rows)  # no copy
        streams = Streams(values, tuple(ids), tuple(support) if channels else None)
        self._register(tensor, streams, INPUT_PRODUCER)

    def lookup(self, tensor: torch.Tensor) -> Streams | None:
        entry = self._streams.get(tensor)
        if entry is None:
            if tensor._base is not None and tensor._base in self._streams:
                raise _stale()  # a view taken before its base was written in place
            return None
        streams, version, _ = entry
        if streams is None or _version(tensor) != version:
            raise _stale()
        return streams

    def producer(self, tensor: Any) -> int:
        """The top-level call whose rule gave ``tensor`` its streams (-1: a modality input)."""
        return self._streams[tensor][2]

    def split(self, tree: Any, names: list[str], selected: list[bool] | None = None
              ) -> dict[str, Any]:
        """Per stream name (``names`` then ``"bias"``), ``tree`` with each tensor's stream
        (None for the leaves that ``selected`` leaves out)."""
        leaves, spec = tree_flatten(tree)
        selected = [True] * len(leaves) if selected is None else selected
        parts = [self._parts(leaf) if on else [None] * (self.n_modalities + 1)
                 for leaf, on in zip(leaves, selected, strict=True)]
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
        if func in RANDOM_OPS:
            return self._sample(func, args, kwargs)
        if drops_at_random(func, args, kwargs):
            self._report_random(func)
        if self._inside:  # the ops of a composite rule: part of the call being dispatched
            return self._handle(func, args, kwargs)
        index = self.calls
        self.calls += 1
        if self.liveness is not None:
            self.liveness.call(func)
        if self.plan is not None and not self.plan.is_live(index, func):
            return func(*args, **kwargs)  # cannot reach a selected output: reference only
        self.current = index
        self._inside += 1
        try:
            return self._handle(func, args, kwargs, index)
        finally:
            self._inside -= 1

    def _handle(self, func: Any, args: tuple, kwargs: dict, index: int | None = None) -> Any:
        tensors = tensors_in(args, kwargs)
        mask = tuple(self.lookup(t) is not None for t in tensors)
        if not any(mask):
            return func(*args, **kwargs)
        if func in EXITS:
            raise leaving_torch(func, self.where())
        if index is not None and self.liveness is not None:
            producers = [self.producer(t) for t, on in zip(tensors, mask, strict=True) if on]
            self.liveness.dispatched(index, producers, mask)
        if index is not None and self.plan is not None:
            self.plan.check_inputs(index, mask)
        return self.dispatch(func, args, kwargs)

    def _sample(self, func: Any, args: tuple, kwargs: dict) -> Any:
        """Report a draw; a linearization records it as a switch and replays it."""
        self.calls += not self._inside
        if self.liveness is not None and not self._inside:
            self.liveness.call(func)
        self._report_random(func)
        if func.__name__.endswith("_"):  # in place: reported only
            return func(*args, **kwargs)
        return self.switches(func, lambda: func(*args, **kwargs), RANDOM)

    def _report_random(self, func: Any) -> None:
        message = (f"{op_name(func)} (called in module '{self.where()}') draws random numbers "
                   "inside the decomposed region: the decomposition holds for this draw; a "
                   "linearization replays recorded samplers (not dropout masks)")
        if all(w.message != message for w in self.warnings):
            self.warnings.append(DecompositionWarning(RANDOM_OP, message))

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
        self.switches.observe(func, leaves, self.where(), self.current)
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
            self._streams[target._base] = (None, None, None)  # its streams are unknown from now on

    def _register(self, tensor: torch.Tensor, streams: Streams, producer: int | None = None
                  ) -> None:
        producer = self.current if producer is None else producer
        self._streams[tensor] = (streams, _version(tensor), producer)

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
