"""Saved token-fusion models: ``{config, state_dict, train_info}``, plain data, weights_only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from lmd_ros.examples.token_fusion.config import TokenFusionConfig
from lmd_ros.examples.token_fusion.network import TokenFusion

SHIPPED_CHECKPOINT = Path(__file__).resolve().parents[1] / "checkpoints" / "token_fusion.pt"


def save_token_fusion(path: str | Path, model: TokenFusion, train_info: dict[str, Any]) -> None:
    """Write the model with its config; ``train_info`` must hold plain data."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"config": model.config.to_dict(), "state_dict": model.state_dict(),
                "train_info": train_info}, path)


def load_token_fusion(path: str | Path = "") -> TokenFusion:
    """The checkpoint's model in eval mode; the shipped one when ``path`` is empty."""
    checkpoint = torch.load(path or SHIPPED_CHECKPOINT, map_location="cpu", weights_only=True)
    model = TokenFusion(TokenFusionConfig.from_dict(checkpoint["config"]))
    model.load_state_dict(checkpoint["state_dict"])
    return model.eval()
