"""Saved models: ``{config, state_dict, train_info}``, plain data only, read with weights_only."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from lmd_ros.model.config import ModelConfig
from lmd_ros.model.simplebev import SimpleBEV
from lmd_ros.sensors import Rig

CHECKPOINT_DIR = Path(__file__).resolve().parent / "checkpoints"
DEFAULT_CHECKPOINT = CHECKPOINT_DIR / "crl.pt"
"""The shipped camera + radar + LiDAR model."""


def save_checkpoint(path: str | Path, model: SimpleBEV, train_info: dict[str, Any]) -> None:
    """Write the model with its config; ``train_info`` must hold plain data (numbers, strings)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"config": model.config.to_dict(), "state_dict": model.state_dict(),
                "train_info": train_info}, path)


def read_checkpoint(path: str | Path | None = None) -> dict[str, Any]:
    """The raw checkpoint dict (config as a dict); the shipped default when ``path`` is None."""
    return torch.load(path or DEFAULT_CHECKPOINT, map_location="cpu", weights_only=True)


def load_model(path: str | Path | None = None) -> SimpleBEV:
    """The checkpoint's model in eval mode; the shipped default when ``path`` is None."""
    checkpoint = read_checkpoint(path)
    model = SimpleBEV(ModelConfig.from_dict(checkpoint["config"]))
    model.load_state_dict(checkpoint["state_dict"])
    return model.eval()


def check_compatible(config: ModelConfig, rig: Rig,
                     modalities: Sequence[str] | None = None) -> None:
    """Refuse a model whose cameras differ from the rig's or whose modalities are not expected."""
    config.check_rig(rig)
    if modalities is not None and set(modalities) != set(config.modalities):
        raise ValueError(f"the model fuses {list(config.modalities)}, expected "
                         f"{list(modalities)}")
