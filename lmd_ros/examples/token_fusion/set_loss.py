"""DETR-style set loss: each ground-truth object is matched to one query, the others learn
"nothing here".

Matching is greedy on distance (the query's reference point plus its predicted centre, in query
spacings), cheapest pair first; scipy's Hungarian solver is not a dependency of the package.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from lmd_ros.examples.token_fusion.config import TokenFusionConfig
from lmd_ros.examples.token_fusion.decode import box_centres
from lmd_ros.sensors import GroundTruth

FOCAL_ALPHA = 0.25
FOCAL_GAMMA = 2.0
BOX_WEIGHT = 2.0


def objects_on_grid(truth: GroundTruth, config: TokenFusionConfig) -> GroundTruth:
    """The objects whose centre lies inside the model's square: the only ones it can report."""
    x, y = truth.boxes[:, 0], truth.boxes[:, 1]
    inside = ((x >= config.x_range[0]) & (x < config.x_range[1])
              & (y >= config.y_range[0]) & (y < config.y_range[1]))
    return GroundTruth(truth.boxes[inside], truth.classes[inside], truth.velocities[inside])


def greedy_match(cost: np.ndarray) -> list[tuple[int, int]]:
    """(query, object) pairs, one per object, cheapest remaining pair first."""
    cost = cost.astype(np.float64, copy=True)
    pairs = []
    for _ in range(min(cost.shape)):
        q, g = np.unravel_index(np.argmin(cost), cost.shape)
        pairs.append((int(q), int(g)))
        cost[q, :] = np.inf
        cost[:, g] = np.inf
    return pairs


def set_loss(outputs: dict[str, torch.Tensor], query_xy: torch.Tensor,
             truths: Sequence[GroundTruth], config: TokenFusionConfig) -> dict[str, torch.Tensor]:
    """Sigmoid focal loss on every query's class logits, L1 on the matched queries' boxes."""
    logits, boxes = outputs["logits"], outputs["boxes"]
    spacing = boxes.new_tensor(config.query_spacing)
    centres = box_centres(boxes, query_xy, config)
    labels = torch.zeros_like(logits)
    predicted, wanted = [], []
    for b, truth in enumerate(truths):
        truth = objects_on_grid(truth, config)
        if not len(truth.classes):
            continue
        gt = torch.as_tensor(truth.boxes, dtype=boxes.dtype)
        cost = (torch.cdist(query_xy, gt[:, :2]) + torch.cdist(centres[b].detach(), gt[:, :2]))
        for q, g in greedy_match((cost / spacing.mean()).numpy()):
            labels[b, q, int(truth.classes[g])] = 1.0
            yaw = gt[g, 6]
            predicted.append(boxes[b, q])
            wanted.append(torch.stack([*((gt[g, :2] - query_xy[q]) / spacing),
                                       gt[g, 3].log(), gt[g, 4].log(), yaw.sin(), yaw.cos()]))
    matched = max(len(predicted), 1)
    probability = torch.sigmoid(logits)
    focal = F.binary_cross_entropy_with_logits(logits, labels, reduction="none")
    p_true = probability * labels + (1 - probability) * (1 - labels)
    alpha = FOCAL_ALPHA * labels + (1 - FOCAL_ALPHA) * (1 - labels)
    losses = {"class": (alpha * (1 - p_true) ** FOCAL_GAMMA * focal).sum() / matched}
    losses["box"] = (torch.stack(predicted) - torch.stack(wanted)).abs().mean() if predicted \
        else boxes.sum() * 0
    losses["total"] = losses["class"] + BOX_WEIGHT * losses["box"]
    return losses
