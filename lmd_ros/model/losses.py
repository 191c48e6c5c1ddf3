"""Training losses: CenterNet focal loss on centres, L1 on boxes at centres, BCE on occupancy."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from lmd_ros.model.targets import Targets

LOSS_WEIGHTS = {"heatmap": 1.0, "regression": 1.0, "segmentation": 1.0}


def focal_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """CenterNet's penalty-reduced focal loss (alpha 2, beta 4), per object centre."""
    log_p = F.logsigmoid(logits)
    log_not_p = F.logsigmoid(-logits)
    p = log_p.exp()
    positive = target == 1
    positive_loss = -((1 - p) ** 2 * log_p)[positive].sum()
    negative_loss = -(p**2 * (1 - target) ** 4 * log_not_p)[~positive].sum()
    return (positive_loss + negative_loss) / positive.sum().clamp(min=1)


def centre_l1(prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean absolute box error over the centre cells (all regression channels)."""
    return ((prediction - target).abs() * mask).sum() / (mask.sum() * target.shape[1]).clamp(min=1)


def detection_losses(outputs: dict[str, torch.Tensor], targets: Targets) -> dict[str, torch.Tensor]:
    """Each loss term by name, plus their weighted sum as ``total``."""
    losses = {
        "heatmap": focal_loss(outputs["heatmap"], targets.heatmap),
        "regression": centre_l1(outputs["regression"], targets.regression, targets.centre_mask),
        "segmentation": F.binary_cross_entropy_with_logits(outputs["segmentation"],
                                                           targets.segmentation),
    }
    losses["total"] = sum(LOSS_WEIGHTS[name] * value for name, value in losses.items())
    return losses
