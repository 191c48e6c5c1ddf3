"""Held-out scores of a token-fusion model: AP at 2 m per class and vehicle recall, fused and
with one sensor alone (the others removed before the model, i.e. silent)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from lmd_ros.examples.token_fusion.decode import decode_queries
from lmd_ros.examples.token_fusion.inputs import token_inputs
from lmd_ros.examples.token_fusion.network import TokenFusion
from lmd_ros.examples.token_fusion.set_loss import objects_on_grid
from lmd_ros.model.dataset import WorldDataset
from lmd_ros.model.metrics import MATCH_DISTANCE_M, average_precision
from lmd_ros.model.modality_dropout import keep_modalities
from lmd_ros.sensors import Rig

AP_SCORE_THRESHOLD = 0.05
RECALL_SCORE_THRESHOLD = 0.3
"""The monitor's default ``score_threshold``: recall at what the node would publish."""
BATCH_SIZE = 8


def evaluate(model: TokenFusion, data: WorldDataset, rig: Rig,
             modalities: Sequence[str]) -> dict[str, float]:
    """AP per class and vehicle recall at ``RECALL_SCORE_THRESHOLD``, when only ``modalities``
    deliver data."""
    config = model.config
    detections = []
    with torch.no_grad():
        for start in range(0, len(data), BATCH_SIZE):
            frames = [keep_modalities(f, modalities)
                      for f in data.frames[start:start + BATCH_SIZE]]
            outputs = model(token_inputs(frames, rig, config))
            detections += decode_queries(outputs, model.fusion.query_xy, config,
                                         AP_SCORE_THRESHOLD, 100)
    truths = [objects_on_grid(t, config) for t in data.truths]
    scores = {}
    for class_id, name in enumerate(config.class_names):
        rows = [np.array([(d.score, d.x, d.y) for d in frame if d.class_id == class_id])
                .reshape(-1, 3) for frame in detections]
        centres = [t.boxes[t.classes == class_id, :2] for t in truths]
        scores[f"AP {name}"] = average_precision(rows, centres)
        if class_id == 0:
            scores[f"recall {name}"] = _recall([r[r[:, 0] >= RECALL_SCORE_THRESHOLD]
                                                for r in rows], centres)
    return scores


def _recall(detections: Sequence[np.ndarray], truths: Sequence[np.ndarray]) -> float:
    """Share of objects with a detection centre within the match distance."""
    found = sum(int((np.linalg.norm(c[:, None] - d[None, :, 1:], axis=-1).min(1)
                     <= MATCH_DISTANCE_M).sum()) if len(d) and len(c) else 0
                for d, c in zip(detections, truths, strict=True))
    total = sum(len(c) for c in truths)
    return found / total if total else float("nan")
