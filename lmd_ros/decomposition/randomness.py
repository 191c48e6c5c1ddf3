"""Random ops inside a decomposed region: reported, and their draws frozen under ``linearize``.

A decomposition is exact for the draw it made, so ``decompose`` only reports it
(``Decomposition.warnings``). A linearization records each draw as a switch and replays it, so
``lin(x')`` goes through the same sampled patches or tokens as the recording (ViLT samples image
patches with ``torch.multinomial``); it reports the draw too. Dropout in training mode is
reported too, and refused by its rule where it touches a decomposed tensor (``model.eval()``).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from lmd_ros.decomposition.registry import signature

_SAMPLERS = ("rand", "rand_like", "randn", "randn_like", "randint", "randint_like", "randperm",
             "multinomial", "bernoulli", "bernoulli_", "normal", "normal_", "uniform_",
             "random_", "exponential_", "geometric_", "cauchy_", "log_normal_", "poisson")
RANDOM_OPS = frozenset(op for name in _SAMPLERS for namespace in (torch, torch.Tensor)
                       if callable(op := getattr(namespace, name, None)))

"""The samplers: ``torch.*`` and ``Tensor.*`` (in place ones end in ``_`` and are reported only)."""
_DROPOUTS = frozenset({F.dropout, F.dropout1d, F.dropout2d, F.dropout3d, F.alpha_dropout,
                       F.feature_alpha_dropout})


def drops_at_random(func: Any, args: tuple, kwargs: dict) -> bool:
    """A dropout call in training mode with p > 0."""
    if func not in _DROPOUTS:
        return False
    bound = signature(func).bind(*args, **kwargs)
    bound.apply_defaults()
    return bool(bound.arguments["training"]) and bound.arguments["p"] > 0
