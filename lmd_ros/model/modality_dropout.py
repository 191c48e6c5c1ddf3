"""Removing sensors from a frame: training-time modality dropout and single-sensor evaluation.

Dropping works on the ``SensorFrame``, before preprocessing, so an ablated sensor looks exactly
like a silent one at runtime.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

import numpy as np

from lmd_ros.sensors import SensorFrame

FULL_INPUT_PROBABILITY = 0.5
"""Share of training samples that keep every modality; the rest keep a random proper subset."""


def keep_modalities(frame: SensorFrame, keep: Iterable[str]) -> SensorFrame:
    """The frame as if only the sensors of ``keep`` had delivered data."""
    keep = set(keep)
    return SensorFrame(
        stamp=frame.stamp,
        images=frame.images if "camera" in keep else {},
        lidar=frame.lidar if "lidar" in keep else None,
        radar=frame.radar if "radar" in keep else None,
    )


def sample_modalities(rng: np.random.Generator, modalities: Sequence[str]) -> tuple[str, ...]:
    """All ``modalities``, or else a uniformly drawn non-empty proper subset (often one sensor)."""
    subsets = [s for size in range(1, len(modalities)) for s in
               itertools.combinations(modalities, size)]
    if not subsets or rng.random() < FULL_INPUT_PROBABILITY:
        return tuple(modalities)
    return subsets[rng.integers(len(subsets))]
