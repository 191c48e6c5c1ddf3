"""The perturbation metrics of the method doc: how much one stream map moved, over all its cells."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import torch


def pearson(a: torch.Tensor, b: torch.Tensor) -> float:
    """Pearson r over all cells of two maps; NaN where either map is constant (r is undefined)."""
    a, b = _flat_pair(a, b)
    a, b = a - a.mean(), b - b.mean()
    denominator = math.sqrt(float(a.square().sum()) * float(b.square().sum()))
    return float((a * b).sum()) / denominator if denominator > 0 else math.nan


def mse(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean squared difference over all cells."""
    a, b = _flat_pair(a, b)
    return float((a - b).square().mean())


def mean_std(values: Iterable[float]) -> tuple[float, float]:
    """Mean and (population) standard deviation of the defined values; NaN if none is defined."""
    defined = np.array([v for v in values if not math.isnan(v)], np.float64)
    if defined.size == 0:
        return math.nan, math.nan
    return float(defined.mean()), float(defined.std())


def _flat_pair(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Both maps flattened in float64: sums over thousands of cells must not round away a change."""
    if a.shape != b.shape:
        raise ValueError(f"maps differ in shape: {tuple(a.shape)} vs {tuple(b.shape)}")
    return a.detach().double().flatten(), b.detach().double().flatten()
