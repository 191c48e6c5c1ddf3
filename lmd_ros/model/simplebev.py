"""The reference fusion network: per-modality BEV encoders, then the decomposable ``BEVHead``."""

from __future__ import annotations

import torch
from torch import nn

from lmd_ros.model.bev_head import BEVHead
from lmd_ros.model.camera_encoder import CameraEncoder
from lmd_ros.model.config import ModelConfig
from lmd_ros.model.lifting import CameraLifting
from lmd_ros.model.preprocess import ModelInputs


class SimpleBEV(nn.Module):
    """SimpleBEV-style camera / radar / LiDAR fusion for BEV segmentation and detection.

    ``model(inputs) == model.head(*model.encode(inputs))``; the fusion point is the head's input,
    so ``decompose(model.head, {"camera": 0, ...}, *model.encode(inputs))`` splits the outputs
    per modality. Radar and LiDAR rasters enter the fusion point as they are (as in SimpleBEV).
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        if "camera" in config.modalities:
            self.camera_encoder = CameraEncoder(config.camera_channels, config.camera_stride,
                                                config.camera_width)
            self.lifting = CameraLifting(config)
        self.head = BEVHead(config)

    def encode(self, inputs: ModelInputs) -> tuple[torch.Tensor, ...]:
        """Per-modality BEV tensors (B, C_m, X, Y) in ``config.modalities`` order."""
        return tuple(self._encode_modality(m, inputs) for m in self.config.modalities)

    def _encode_modality(self, modality: str, inputs: ModelInputs) -> torch.Tensor:
        if modality == "camera":
            images = _required(inputs.images, "images")
            features = self.camera_encoder(images.flatten(0, 1))
            features = features.reshape(*images.shape[:2], *features.shape[1:])
            return self.lifting(features, _required(inputs.projections, "projections"),
                                _required(inputs.camera_valid, "camera_valid"))
        return _required(getattr(inputs, f"{modality}_bev"), f"{modality}_bev")

    def forward(self, inputs: ModelInputs) -> dict[str, torch.Tensor]:
        return self.head(*self.encode(inputs))


def _required(tensor: torch.Tensor | None, name: str) -> torch.Tensor:
    if tensor is None:
        raise ValueError(f"model inputs lack {name}: preprocess with this model's config")
    return tensor
