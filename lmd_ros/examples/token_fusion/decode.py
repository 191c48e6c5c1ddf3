"""Query outputs → boxes in the ego frame, each naming the class logit its score comes from."""

from __future__ import annotations

import torch

from lmd_ros.adapters.protocol import Detection
from lmd_ros.examples.token_fusion.config import TokenFusionConfig


def box_centres(boxes: torch.Tensor, query_xy: torch.Tensor,
                config: TokenFusionConfig) -> torch.Tensor:
    """(…, Q, 6) box outputs → (…, Q, 2) ego centres: offsets in query spacings from each
    query's reference point."""
    return query_xy + boxes[..., :2] * boxes.new_tensor(config.query_spacing)


def decode_queries(outputs: dict[str, torch.Tensor], query_xy: torch.Tensor,
                   config: TokenFusionConfig, score_threshold: float,
                   max_detections: int) -> list[list[Detection]]:
    """Per frame: each query's best class, kept when sigmoid(logit) ≥ ``score_threshold``, best
    first. ``Detection.output`` = ``("logits", frame, query, class)``, the scalar LMD splits."""
    logits, boxes = outputs["logits"].detach(), outputs["boxes"].detach()
    best_logit, best_class = logits.max(-1)
    centres = box_centres(boxes, query_xy, config)
    frames = []
    for b in range(logits.shape[0]):
        scores = torch.sigmoid(best_logit[b])
        order = [q for q in torch.argsort(scores, descending=True).tolist()
                 if scores[q] >= score_threshold][:max_detections]
        detections = []
        for q in order:
            class_id = int(best_class[b, q])
            height = config.class_heights[class_id]
            length, width = boxes[b, q, 2:4].exp().tolist()
            detections.append(Detection(
                x=float(centres[b, q, 0]), y=float(centres[b, q, 1]), z=height / 2,
                l=length, w=width, h=height,
                yaw=float(torch.atan2(boxes[b, q, 4], boxes[b, q, 5])), class_id=class_id,
                score=float(scores[q]), output=("logits", b, q, class_id)))
        frames.append(detections)
    return frames
