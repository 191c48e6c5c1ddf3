"""``decompose`` and ``linearize``: run a model under the tracer, from its inputs or a module on."""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack
from typing import Any

import torch
from torch import nn
from torch.utils._pytree import tree_leaves

from lmd_ros.decomposition.options import RuleOptions
from lmd_ros.decomposition.result import Decomposition
from lmd_ros.decomposition.scope import ModuleScope
from lmd_ros.decomposition.switches import (
    ACTIVATION,
    NORMALIZATION,
    Recorder,
    Replayer,
    compute_now,
)
from lmd_ros.decomposition.tracer import Tracer

Selector = int | str
Modalities = Mapping[str, Selector | Sequence[Selector]]
"""Modality name -> the positional index or keyword name of its input(s), of the model's forward
(or of ``start_at``'s); a sequence groups several inputs into one modality."""


def decompose(model: nn.Module, modalities: Modalities, *args: Any, start_at: str | None = None,
              capture: Iterable[str] = (), bn_rule: str = "identity", norm_rule: str = "ratio",
              explicit_bias: bool = False, **kwargs: Any) -> Decomposition:
    """Split every output of ``model(*args, **kwargs)`` into one stream per modality and a bias.

    ``start_at``: a module path; everything before its first call runs plainly and ``modalities``
    select among its forward arguments (the paper starts at the fusion point). ``capture``:
    module paths whose outputs are decomposed too (``Decomposition.layers``). ``explicit_bias``
    pushes the bias as a stream instead of deriving it as reference − Σ modality streams (the
    same up to rounding; slower by one stream).
    """
    tracer = Tracer(len(modalities), RuleOptions(bn_rule, norm_rule), compute_now, explicit_bias)
    return _run(model, modalities, args, kwargs, tracer, start_at, capture)


def linearize(model: nn.Module, modalities: Modalities, *args: Any, activations: bool = True,
              normalizations: bool = True, bn_rule: str = "identity", norm_rule: str = "ratio",
              start_at: str | None = None, **kwargs: Any) -> Linearization:
    """Record every switch of ``model`` at this input; see ``Linearization``.

    ``activations=False`` / ``normalizations=False`` (the paper's ablations) leave those switches
    unfrozen: recomputed at whatever input the linearization is applied to.
    """
    recorder = Recorder()
    rules = RuleOptions(bn_rule, norm_rule)
    tracer = Tracer(len(modalities), rules, recorder, explicit=True)  # records the offsets too
    at = _run(model, modalities, args, kwargs, tracer, start_at, ())
    frozen = frozenset(kind for kind, on in ((ACTIVATION, activations),
                                             (NORMALIZATION, normalizations)) if on)
    return Linearization(model, modalities, rules, start_at, recorder.records, frozen, at)


class Linearization:
    """The network with its switches frozen at one input x: an affine map A_x.

    ``lin(*args, **kwargs)`` pushes other inputs through A_x (constants, such as a grid, are
    taken from the new call) and returns their ``Decomposition``; its ``reference`` is the
    linearized output, A_x(x') = the sum of the streams, which equals model(x') only at x' = x.
    The model must take the same path as at x. ``at``: the decomposition at x itself.
    """

    def __init__(self, model: nn.Module, modalities: Modalities, rules: RuleOptions,
                 start_at: str | None, records: list, frozen: frozenset[str],
                 at: Decomposition) -> None:
        self._model = model
        self._modalities = modalities
        self._rules = rules
        self._start_at = start_at
        self._records = records
        self._frozen = frozen
        self.at = at

    def __call__(self, *args: Any, **kwargs: Any) -> Decomposition:
        replayer = Replayer(self._records, self._frozen)
        tracer = Tracer(len(self._modalities), self._rules, replayer, explicit=True,
                        linearized=True)
        decomposition = _run(self._model, self._modalities, args, kwargs, tracer, self._start_at,
                             ())
        replayer.finish()
        return decomposition


def _run(model: nn.Module, modalities: Modalities, args: tuple, kwargs: dict, tracer: Tracer,
         start_at: str | None, capture: Iterable[str]) -> Decomposition:
    names = list(modalities)
    layers: dict[str, Decomposition] = {}
    calls: Counter[str] = Counter()

    with ExitStack() as stack:
        def start(forward: Callable, start_args: tuple, start_kwargs: dict) -> None:
            for m, name in enumerate(names):
                for tensor in _inputs(forward, start_args, start_kwargs, modalities[name]):
                    tracer.seed(tensor, m)
            stack.enter_context(tracer)

        def captured(path: str, output: Any) -> None:
            with tracer.suspended():
                key = f"{path}#{calls[path]}" if calls[path] else path
                layers[key] = Decomposition(output, tracer.split(output, names))
            calls[path] += 1

        stack.enter_context(torch.no_grad())
        scope = stack.enter_context(ModuleScope(model, start_at, start, capture, captured))
        tracer.where = scope.path
        if start_at is None:
            start(model.forward, args, kwargs)
        out = model(*args, **kwargs)
    if not scope.started:
        raise ValueError(f"module {start_at!r} never ran, so the decomposition never started")
    with torch.no_grad():
        return Decomposition(out, tracer.split(out, names), layers)


def _inputs(forward: Callable, args: tuple, kwargs: dict,
            selectors: Selector | Sequence[Selector]) -> list[torch.Tensor]:
    """The floating-point tensors one modality's selectors point at."""
    selectors = [selectors] if isinstance(selectors, int | str) else list(selectors)
    tensors = []
    for selector in selectors:
        if isinstance(selector, int):
            value = args[selector]
        elif selector in kwargs:
            value = kwargs[selector]
        else:
            arguments = inspect.signature(forward).bind(*args, **kwargs).arguments
            if selector not in arguments:
                raise ValueError(f"the decomposed forward has no input named {selector!r}")
            value = arguments[selector]
        tensors += [t for t in tree_leaves(value)
                    if isinstance(t, torch.Tensor) and t.is_floating_point()]
    if not tensors:
        raise ValueError(f"modality input {selectors} holds no floating-point tensor")
    return tensors
