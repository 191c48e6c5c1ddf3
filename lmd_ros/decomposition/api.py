"""``decompose`` and ``linearize``: run a model under the tracer, from its inputs or a module on."""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from contextlib import ExitStack
from typing import Any

import torch
from torch import nn
from torch.utils._pytree import tree_flatten, tree_flatten_with_path, tree_leaves

from lmd_ros.decomposition.diagnostics import diagnose
from lmd_ros.decomposition.options import RuleOptions
from lmd_ros.decomposition.pruning import PLANS, Liveness, Plan, PlanMismatch
from lmd_ros.decomposition.result import Decomposition
from lmd_ros.decomposition.scope import ModuleScope
from lmd_ros.decomposition.slices import Slice
from lmd_ros.decomposition.switches import (
    ACTIVATION,
    NORMALIZATION,
    Recorder,
    Replayer,
    compute_now,
)
from lmd_ros.decomposition.tracer import Tracer

Selector = int | str | Slice
Modalities = Mapping[str, Selector | Sequence[Selector]]
"""Modality name -> the positional index or keyword name of its input(s), of the model's forward
(or of ``start_at``'s), or a ``Slice`` of one; a sequence groups several inputs into one
modality."""
Outputs = Sequence[str | int] | None
"""Top-level keys (dict keys, tuple indices) of the output whose leaves are decomposed; None:
all of them."""


def decompose(model: nn.Module, modalities: Modalities, *args: Any, start_at: str | None = None,
              capture: Iterable[str] = (), bn_rule: str = "identity", norm_rule: str = "ratio",
              explicit_bias: bool = False, outputs: Outputs = None,
              **kwargs: Any) -> Decomposition:
    """Split every output of ``model(*args, **kwargs)`` into one stream per modality and a bias.

    ``start_at``: a module path; everything before its first call runs plainly and ``modalities``
    select among its forward arguments (the paper starts at the fusion point). ``capture``:
    module paths whose outputs are decomposed too (``Decomposition.layers``). ``explicit_bias``
    pushes the bias as a stream instead of deriving it as reference − Σ modality streams (the
    same up to rounding; slower by one stream). ``outputs``: decompose only these top-level
    leaves of the output (the reference stays complete, the others' streams are None); from the
    second call with the same model and settings on, streams are pushed only through the ops
    that reach them (``pruning.py``).
    """
    capture = list(capture)
    rules = RuleOptions(bn_rule, norm_rule)
    if outputs is None:
        tracer = Tracer(len(modalities), rules, compute_now, explicit_bias)
        return _run(model, modalities, args, kwargs, tracer, start_at, capture, outputs)
    key: Hashable = (repr(list(modalities.items())), start_at, tuple(capture), rules,
                     explicit_bias, tuple(outputs))
    plan = PLANS.get(model, key)
    if plan is not None:
        tracer = Tracer(len(modalities), rules, compute_now, explicit_bias, plan=plan)
        try:
            return _run(model, modalities, args, kwargs, tracer, start_at, capture, outputs)
        except PlanMismatch:
            PLANS.put(model, key, None)  # the path changed: redo in full, record a new plan
    liveness = Liveness()
    tracer = Tracer(len(modalities), rules, compute_now, explicit_bias, liveness=liveness)
    recorded: list[Plan] = []
    d = _run(model, modalities, args, kwargs, tracer, start_at, capture, outputs, recorded)
    PLANS.put(model, key, recorded[0])
    return d


def linearize(model: nn.Module, modalities: Modalities, *args: Any, activations: bool = True,
              normalizations: bool = True, bn_rule: str = "identity", norm_rule: str = "ratio",
              start_at: str | None = None, outputs: Outputs = None,
              **kwargs: Any) -> Linearization:
    """Record every switch of ``model`` at this input; see ``Linearization``.

    ``activations=False`` / ``normalizations=False`` (the paper's ablations) leave those switches
    unfrozen: recomputed at whatever input the linearization is applied to. ``outputs``: as for
    ``decompose``; the recording is the full run, and every replay pushes streams only through
    the ops that reach the selected leaves.
    """
    recorder = Recorder()
    rules = RuleOptions(bn_rule, norm_rule)
    liveness = None if outputs is None else Liveness()
    tracer = Tracer(len(modalities), rules, recorder, explicit=True,  # records the offsets too
                    liveness=liveness)
    recorded: list[Plan] = []
    at = _run(model, modalities, args, kwargs, tracer, start_at, (), outputs, recorded)
    frozen = frozenset(kind for kind, on in ((ACTIVATION, activations),
                                             (NORMALIZATION, normalizations)) if on)
    plan = recorded[0] if recorded else None
    return Linearization(model, modalities, rules, start_at, recorder, frozen, at, outputs, plan)


class Linearization:
    """The network with its switches frozen at one input x: an affine map A_x.

    ``lin(*args, **kwargs)`` pushes other inputs through A_x (constants, such as a grid, are
    taken from the new call) and returns their ``Decomposition``; its ``reference`` is the
    linearized output, A_x(x') = the sum of the streams, which equals model(x') only at x' = x.
    The model must take the same path as at x: every decomposed op is checked against the
    recording (name, output shapes, calling module) and the first difference raises. Random
    draws are replayed as recorded. ``at``: the decomposition at x itself. ``plan``: the ops
    that reach the selected ``outputs`` (None: all are replayed).
    """

    def __init__(self, model: nn.Module, modalities: Modalities, rules: RuleOptions,
                 start_at: str | None, recorder: Recorder, frozen: frozenset[str],
                 at: Decomposition, outputs: Outputs = None, plan: Plan | None = None) -> None:
        self._model = model
        self._modalities = modalities
        self._rules = rules
        self._start_at = start_at
        self._recorder = recorder
        self._frozen = frozen
        self._outputs = outputs
        self._plan = plan
        self.at = at

    def __call__(self, *args: Any, **kwargs: Any) -> Decomposition:
        live = None if self._plan is None else self._plan.live
        replayer = Replayer(self._recorder, self._frozen, live)
        tracer = Tracer(len(self._modalities), self._rules, replayer, explicit=True,
                        linearized=True, plan=self._plan)
        try:
            decomposition = _run(self._model, self._modalities, args, kwargs, tracer,
                                 self._start_at, (), self._outputs)
        except PlanMismatch:
            raise RuntimeError(
                "the linearized model took another path than at the recorded input (its calls "
                "differ from the recording): the recorded switches do not apply") from None
        replayer.finish()
        return decomposition


def _run(model: nn.Module, modalities: Modalities, args: tuple, kwargs: dict, tracer: Tracer,
         start_at: str | None, capture: Iterable[str], outputs: Outputs,
         recorded: list[Plan] | None = None) -> Decomposition:
    names = list(modalities)
    layers: dict[str, Decomposition] = {}
    calls: Counter[str] = Counter()
    roots: list[int] = []

    with ExitStack() as stack:
        def start(forward: Callable, start_args: tuple, start_kwargs: dict) -> None:
            parts: dict[int, tuple[torch.Tensor, list]] = {}
            for m, name in enumerate(names):
                for tensor, part in _inputs(forward, start_args, start_kwargs, modalities[name]):
                    parts.setdefault(id(tensor), (tensor, []))[1].append((m, part))
            for tensor, tensor_parts in parts.values():
                tracer.seed(tensor, tensor_parts)
            stack.enter_context(tracer)

        def captured(path: str, output: Any) -> None:
            with tracer.suspended():
                key = f"{path}#{calls[path]}" if calls[path] else path
                layers[key] = Decomposition(output, tracer.split(output, names))
                roots.extend(_producers(tracer, tree_leaves(output)))
            calls[path] += 1

        stack.enter_context(torch.no_grad())
        scope = stack.enter_context(ModuleScope(model, start_at, start, capture, captured))
        tracer.where = scope.path
        if start_at is None:
            start(model.forward, args, kwargs)
        out = model(*args, **kwargs)
    if not scope.started:
        raise ValueError(f"module {start_at!r} never ran, so the decomposition never started")
    selected = _selected(out, outputs)
    leaves = tree_flatten(out)[0]
    chosen = [leaf for leaf, on in zip(leaves, selected, strict=True) if on]
    outputs_mask = tuple(tracer.lookup(t) is not None for t in chosen
                         if isinstance(t, torch.Tensor))
    if tracer.plan is not None:
        tracer.plan.check_end(tracer.calls, outputs_mask)
    if recorded is not None and tracer.liveness is not None:
        roots += _producers(tracer, chosen)
        recorded.append(tracer.liveness.plan(roots, outputs_mask))
    with torch.no_grad():
        streams = tracer.split(out, names, selected)
        fractions, warnings = diagnose(out, streams, tracer.nonzero_inputs)
        return Decomposition(out, streams, layers, fractions, tracer.warnings + warnings)


def _producers(tracer: Tracer, leaves: list[Any]) -> list[int]:
    return [tracer.producer(t) for t in leaves
            if isinstance(t, torch.Tensor) and tracer.lookup(t) is not None]


def _selected(out: Any, outputs: Outputs) -> list[bool]:
    """Per output leaf: is it under one of the top-level keys ``outputs``?"""
    paths = [path for path, _ in tree_flatten_with_path(out)[0]]
    if outputs is None:
        return [True] * len(paths)
    tops = [getattr(p[0], "key", getattr(p[0], "idx", None)) if p else None for p in paths]
    missing = [key for key in outputs if key not in tops]
    if missing:
        have = sorted(set(tops), key=str)
        raise ValueError(f"the output has no top-level keys {missing}; it has {have}")
    return [top in outputs for top in tops]


def _inputs(forward: Callable, args: tuple, kwargs: dict,
            selectors: Selector | Sequence[Selector]) -> list[tuple[torch.Tensor, Slice | None]]:
    """The floating-point tensors one modality's selectors point at, with their ``Slice``."""
    selectors = [selectors] if isinstance(selectors, int | str | Slice) else list(selectors)
    tensors = []
    for selector in selectors:
        part = selector if isinstance(selector, Slice) else None
        where = selector.selector if isinstance(selector, Slice) else selector
        if isinstance(where, int):
            value = args[where]
        elif where in kwargs:
            value = kwargs[where]
        else:
            arguments = inspect.signature(forward).bind(*args, **kwargs).arguments
            if where not in arguments:
                raise ValueError(f"the decomposed forward has no input named {where!r}")
            value = arguments[where]
        tensors += [(t, part) for t in tree_leaves(value)
                    if isinstance(t, torch.Tensor) and t.is_floating_point()]
    if not tensors:
        raise ValueError(f"modality input {selectors} holds no floating-point tensor")
    return tensors
