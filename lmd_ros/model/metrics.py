"""Held-out scores: BEV IoU and centre-distance detection AP (nuScenes-style matching)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MATCH_DISTANCE_M = 2.0
RECALL_POINTS = np.linspace(0.0, 1.0, 101)


def bev_iou(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Intersection over union of two boolean masks, pooled over all cells of all frames."""
    union = np.logical_or(predicted, truth).sum()
    return float(np.logical_and(predicted, truth).sum() / union) if union else float("nan")


def average_precision(detections: Sequence[np.ndarray], truths: Sequence[np.ndarray],
                      max_distance: float = MATCH_DISTANCE_M) -> float:
    """AP of one class over frames.

    ``detections[f]``: (D, 3) rows (score, x, y); ``truths[f]``: (K, 2) centres, K may be 0.
    Detections are matched greedily, best score first, to the nearest unmatched centre within
    ``max_distance`` (m); AP is the mean interpolated precision at 101 recall levels.
    """
    n_truths = sum(len(t) for t in truths)
    if n_truths == 0:
        return float("nan")
    ranked = sorted(((row[0], f, row[1:]) for f, rows in enumerate(detections) for row in rows),
                    key=lambda item: -item[0])
    if not ranked:
        return 0.0
    matched = [np.zeros(len(t), bool) for t in truths]
    hits = np.zeros(len(ranked), bool)
    for i, (_, frame, xy) in enumerate(ranked):
        distances = np.linalg.norm(truths[frame] - xy, axis=1)
        distances[matched[frame]] = np.inf
        if len(distances) and distances.min() <= max_distance:
            matched[frame][distances.argmin()] = True
            hits[i] = True
    true_positives = np.cumsum(hits)
    recall = true_positives / n_truths
    precision = true_positives / np.arange(1, len(ranked) + 1)
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    first_reaching = np.searchsorted(recall, RECALL_POINTS, side="left")
    return float(np.append(envelope, 0.0)[first_reaching].mean())
