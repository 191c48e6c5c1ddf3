"""Random ops inside a decomposed region: reported, and their draws frozen under ``linearize``.

A decomposition is exact for the draw it made, so ``decompose`` only reports it
(``Decomposition.warnings``). A linearization records each draw as a switch and replays it, so
``lin(x')`` goes through the same sampled patches or tokens as the recording (ViLT samples image
patches with ``torch.multinomial``); it reports the draw too. Dropout in training mode is
refused by its rule where it touches a decomposed tensor (``model.eval()``).
"""

from __future__ import annotations

import torch

_SAMPLERS = ("rand", "rand_like", "randn", "randn_like", "randint", "randint_like", "randperm",
             "multinomial", "bernoulli", "bernoulli_", "normal", "normal_", "uniform_",
             "random_", "exponential_", "geometric_", "cauchy_", "log_normal_", "poisson")
RANDOM_OPS = frozenset(op for name in _SAMPLERS for namespace in (torch, torch.Tensor)
                       if callable(op := getattr(namespace, name, None)))

"""The samplers: ``torch.*`` and ``Tensor.*`` (in place ones end in ``_`` and are reported only)."""
