"""A camera + radar + LiDAR detector whose fusion is attention over tokens, with DETR-style
object queries: the second shipped model, structurally unlike the SimpleBEV reference.

``build`` is its adapter factory (``model: lmd_ros.examples.token_fusion:build``).
"""

from lmd_ros.examples.token_fusion.adapter import MODALITIES, TokenFusionAdapter, build
from lmd_ros.examples.token_fusion.checkpoint import (
    SHIPPED_CHECKPOINT,
    load_token_fusion,
    save_token_fusion,
)
from lmd_ros.examples.token_fusion.config import TokenFusionConfig
from lmd_ros.examples.token_fusion.inputs import TokenInputs, token_inputs
from lmd_ros.examples.token_fusion.network import TokenFusion

__all__ = ["MODALITIES", "SHIPPED_CHECKPOINT", "TokenFusion", "TokenFusionAdapter",
           "TokenFusionConfig", "TokenInputs", "build", "load_token_fusion", "save_token_fusion",
           "token_inputs"]
