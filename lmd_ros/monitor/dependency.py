"""Which sensors a detection cannot do without: the linearized counterfactual of LMD.

The logit splits exactly into ``z = Σ_m c_m + c_bias``, so ``z − c_m`` is the logit as if
modality m had contributed nothing. A detection *depends on* m when that would take its score
``sigmoid(z − c_m)`` below the score threshold: without m the monitor would not report it. One
that depends on exactly one modality is a *single-sensor* detection: losing that sensor loses
it, losing any other does not.
"""

from __future__ import annotations

import math

import numpy as np


def below_threshold(logits: np.ndarray, score_threshold: float) -> np.ndarray:
    """``sigmoid(logits) < score_threshold``, compared in logit units (sigmoid is monotone), so
    a very negative logit cannot overflow."""
    return np.asarray(logits, np.float64) < math.log(score_threshold / (1 - score_threshold))


def linearized_dependencies(logits: np.ndarray, contributions: np.ndarray,
                            score_threshold: float) -> np.ndarray:
    """(N, M) bool: ``sigmoid(z_n − c_nm) < score_threshold``; ``contributions`` is (N, M + 1),
    the bias last, as in `FrameAttribution`."""
    without = np.asarray(logits, np.float64)[:, None] - np.asarray(contributions)[:, :-1]
    return below_threshold(without, score_threshold)


def depends_on_one(dependencies: np.ndarray) -> np.ndarray:
    """(N,) bool: the detections that depend on exactly one modality (single-sensor)."""
    return np.asarray(dependencies, bool).sum(axis=1) == 1
