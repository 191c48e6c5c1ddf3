"""The shipped SimpleBEV-style model as a `ModelAdapter`: one adapter like any user's.

Select it with ``model: ''`` (the default) or ``model: lmd_ros.model.adapter:build``;
``checkpoint`` picks one of its checkpoints (empty = the three-modality ``crl.pt``);
``model_options``: ``{camera_fit: crop | stretch}`` (`lmd_ros.model.camera_fit`). A checkpoint's
normal alarm spreads, if measured, sit beside it (`alarm_calibration_of`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import torch

from lmd_ros.adapters.protocol import BEVGrid, Detection, FusionCall, ModelAdapter
from lmd_ros.model.camera_fit import CAMERA_FITS
from lmd_ros.model.checkpoint import DEFAULT_CHECKPOINT, load_model
from lmd_ros.model.decode import decode_detections
from lmd_ros.model.preprocess import preprocess
from lmd_ros.model.simplebev import SimpleBEV
from lmd_ros.monitor.alarm_calibration import read_spreads
from lmd_ros.sensors import Rig, SensorFrame

DECOMPOSED_OUTPUTS = ("heatmap", "segmentation")
"""The head's outputs the monitor reads: detection logits and the evidence map (not regression)."""


class SimpleBEVAdapter(ModelAdapter):
    """Decomposes the head at the fusion point: one input per modality, heatmap logits split."""

    field_ranges = MappingProxyType({"lidar.intensity": (0.0, 1.0), "radar.rcs": (-30.0, 40.0),
                                     "radar.v_radial": (-40.0, 40.0)})
    """What the world's sensors produce: intensity 0–1, RCS in dBsm, radial speed in m/s."""

    def __init__(self, model: SimpleBEV, device: str = "cpu", camera_fit: str = "crop") -> None:
        if camera_fit not in CAMERA_FITS:
            raise ValueError(f"camera_fit must be one of {CAMERA_FITS}, got {camera_fit!r}")
        self.model = model.eval().to(device)
        self.device = device
        self.camera_fit = camera_fit
        config = model.config
        self.modalities = config.modalities
        self.sensors = {m: (m,) for m in config.modalities}
        self.class_names = config.class_names
        self.bev_grid = BEVGrid(config.x_range, config.y_range, config.resolution)

    def check_rig(self, rig: Rig) -> None:
        if "camera" in self.modalities:
            self.model.config.check_rig(rig)

    def fusion_call(self, frame: SensorFrame, rig: Rig) -> FusionCall:
        inputs = preprocess([frame], rig, self.model.config, self.camera_fit).to(self.device)
        return FusionCall(self.model, (inputs,), dict(enumerate_modalities(self.modalities)),
                          start_at="head", outputs=DECOMPOSED_OUTPUTS)

    def detections(self, outputs: Any, score_threshold: float,
                   max_detections: int) -> list[Detection]:
        return decode_detections(outputs, self.model.config, score_threshold,
                                 max_detections)[0]

    def evidence(self, streams: Mapping[str, Any], outputs: Any) -> np.ndarray:
        """Where each modality raises the segmentation logit, weighted by the probability there,
        so that empty road, where streams cancel each other, stays dark."""
        segmentation = torch.stack([streams[m]["segmentation"][0] for m in self.modalities])
        probability = torch.sigmoid(outputs["segmentation"][0])
        return (segmentation.clamp(min=0) * probability).amax(dim=1).cpu().numpy()

    def describe(self) -> str:
        return f"SimpleBEV reference model ({'+'.join(self.modalities)})"


def enumerate_modalities(modalities: tuple[str, ...]) -> Mapping[str, int]:
    """The head takes one BEV tensor per modality, in order."""
    return {m: i for i, m in enumerate(modalities)}


def build(checkpoint: str = "", options: Mapping[str, Any] | None = None,
          device: str = "cpu") -> SimpleBEVAdapter:
    """Factory for the ``model`` parameter; the one option is ``camera_fit``."""
    options = dict(options or {})
    camera_fit = options.pop("camera_fit", "crop")
    if options:
        raise ValueError(f"unknown model_options {sorted(options)}; the reference model takes "
                         "camera_fit")
    adapter = SimpleBEVAdapter(load_model(checkpoint or None), device, camera_fit)
    spreads = alarm_calibration_of(Path(checkpoint or DEFAULT_CHECKPOINT))
    adapter.alarm_spreads = read_spreads(spreads) if spreads.is_file() else {}
    return adapter


def alarm_calibration_of(checkpoint: Path) -> Path:
    """Where a checkpoint's normal alarm spreads are kept: ``crl.pt`` → ``crl.alarms.yaml``
    (written by ``lmd_benchmark alarms --spreads``)."""
    return checkpoint.with_suffix(".alarms.yaml")
