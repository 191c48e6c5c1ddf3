"""From head outputs to boxes; each box remembers the heatmap logit its score comes from.

Decoding is not decomposed: the runtime reads the per-modality contributions of the logit at
``Detection.output`` (``("heatmap", sample, class, row, col)``) from the decomposed outputs.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from lmd_ros.adapters.protocol import Detection
from lmd_ros.model.bev_head import REGRESSION_CHANNELS
from lmd_ros.model.config import ModelConfig


def decode_detections(outputs: dict[str, torch.Tensor], config: ModelConfig,
                      score_threshold: float = 0.3, max_detections: int = 50
                      ) -> list[list[Detection]]:
    """Per sample: 3x3 local maxima of the centre heatmap above ``score_threshold``, best first;
    ``score`` = sigmoid(the heatmap logit at ``output``)."""
    probability = torch.sigmoid(outputs["heatmap"].detach())
    peaks = probability == F.max_pool2d(probability, 3, stride=1, padding=1)
    scores = (probability * peaks).flatten(1)
    regression = outputs["regression"].detach()
    n_x, n_y = config.grid_shape
    batches = []
    for b in range(scores.shape[0]):
        top = torch.topk(scores[b], min(max_detections, scores.shape[1]))
        detections = []
        for score, index in zip(top.values.tolist(), top.indices.tolist(), strict=True):
            if score < score_threshold:
                break
            class_id, row, col = index // (n_x * n_y), index // n_y % n_x, index % n_y
            box = dict(zip(REGRESSION_CHANNELS, regression[b, :, row, col].tolist(), strict=True))
            height = config.class_heights[class_id]
            centre_x, centre_y = config.cell_centre(row, col)
            detections.append(Detection(
                x=centre_x + box["dx"], y=centre_y + box["dy"], z=height / 2,
                l=math.exp(box["log_l"]), w=math.exp(box["log_w"]), h=height,
                yaw=math.atan2(box["sin_yaw"], box["cos_yaw"]), class_id=class_id,
                score=score, output=("heatmap", b, class_id, row, col)))
        batches.append(detections)
    return batches
