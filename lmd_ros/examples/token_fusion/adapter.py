"""The token-fusion network as a `ModelAdapter`: the worked example of ``docs/own-model.md``.

Select it with ``model: lmd_ros.examples.token_fusion:build``; ``checkpoint`` empty = the shipped
``lmd_ros/examples/checkpoints/token_fusion.pt``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from lmd_ros.adapters.protocol import BEVGrid, Detection, FusionCall, ModelAdapter
from lmd_ros.examples.token_fusion.checkpoint import load_token_fusion
from lmd_ros.examples.token_fusion.decode import box_centres, decode_queries
from lmd_ros.examples.token_fusion.inputs import check_cameras, token_inputs
from lmd_ros.examples.token_fusion.network import TokenFusion
from lmd_ros.sensors import Rig, SensorFrame

MODALITIES = ("camera", "radar", "lidar")


class TokenFusionAdapter(ModelAdapter):
    """LMD starts at ``fusion``, whose arguments ``camera``, ``radar``, ``lidar`` are the three
    sensors' token sets; each detection's scalar is its query's class logit."""

    modalities = MODALITIES

    def __init__(self, model: TokenFusion, device: str = "cpu") -> None:
        self.sensors = {m: (m,) for m in MODALITIES}
        self.model = model.eval().to(device)
        self.device = device
        config = model.config
        self.class_names = config.class_names
        self.bev_grid = BEVGrid(config.x_range, config.y_range, config.resolution)

    def check_rig(self, rig: Rig) -> None:
        check_cameras(rig)

    def fusion_call(self, frame: SensorFrame, rig: Rig) -> FusionCall:
        inputs = token_inputs([frame], rig, self.model.config).to(self.device)
        return FusionCall(self.model, (inputs,), {m: m for m in MODALITIES},
                          start_at="fusion", outputs=("logits",))

    def detections(self, outputs: Any, score_threshold: float,
                   max_detections: int) -> list[Detection]:
        return decode_queries(outputs, self.model.fusion.query_xy, self.model.config,
                              score_threshold, max_detections)[0]

    def evidence(self, streams: Mapping[str, Any], outputs: Any) -> np.ndarray:
        """Each modality's contribution to a query's best class logit (its positive part,
        weighted by the query's probability), painted on that query's box centre cell."""
        grid = self.bev_grid
        logits = outputs["logits"][0]
        best_logit, best_class = logits.max(-1)
        probability = torch.sigmoid(best_logit)
        centres = box_centres(outputs["boxes"][0], self.model.fusion.query_xy,
                              self.model.config).cpu().numpy()
        rows = np.floor((centres[:, 0] - grid.x_range[0]) / grid.resolution).astype(int)
        cols = np.floor((centres[:, 1] - grid.y_range[0]) / grid.resolution).astype(int)
        inside = (rows >= 0) & (rows < grid.shape[0]) & (cols >= 0) & (cols < grid.shape[1])
        evidence = np.zeros((len(MODALITIES), *grid.shape))
        for k, m in enumerate(MODALITIES):
            contribution = streams[m]["logits"][0].gather(-1, best_class[:, None])[:, 0]
            support = (contribution.clamp(min=0) * probability).cpu().numpy()
            np.maximum.at(evidence[k], (rows[inside], cols[inside]), support[inside])
        return evidence

    def describe(self) -> str:
        return "token-fusion example (camera+radar+lidar tokens, object queries)"


def build(checkpoint: str = "", options: Mapping[str, Any] | None = None,
          device: str = "cpu") -> TokenFusionAdapter:
    """Factory for the ``model`` parameter; this model takes no options."""
    if options:
        raise ValueError(f"the token-fusion model takes no model_options, got {sorted(options)}")
    return TokenFusionAdapter(load_token_fusion(checkpoint), device)
