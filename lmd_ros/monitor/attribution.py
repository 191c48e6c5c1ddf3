"""One sensor frame → detections, each split into per-modality logit contributions.

This is the product's core step, shared by the live node, the bag analysis and the demo: the
fusion model runs once per frame and LMD decomposes its head at the fusion point, so each
detection's heatmap logit is exactly ``Σ_m c_m + c_bias``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from lmd_ros.decomposition import decompose
from lmd_ros.model.decode import Detection, decode_detections
from lmd_ros.model.preprocess import preprocess
from lmd_ros.model.simplebev import SimpleBEV
from lmd_ros.monitor.shares import modality_shares
from lmd_ros.sensors import Rig, SensorFrame


@dataclass
class FrameAttribution:
    """What the monitor knows about one frame.

    ``contributions``: (N, M + 1) logit contributions, columns ``modalities + ("bias",)``; each
    row sums to the detection's heatmap logit. ``shares``: (N, M), |c_m| / Σ_k |c_k| over the
    modalities. ``evidence``: (M, X, Y), where in BEV each modality pushes the vehicle
    segmentation logit up, weighted by the vehicle probability there, so that empty road, where
    streams cancel each other, stays dark.
    """

    stamp: float
    modalities: tuple[str, ...]
    detections: list[Detection]
    logits: np.ndarray
    contributions: np.ndarray
    shares: np.ndarray
    evidence: np.ndarray
    present: dict[str, bool]

    def frame_shares(self) -> dict[str, float] | None:
        """Score-weighted mean share per modality over the detections; None without detections."""
        if not self.detections:
            return None
        weights = np.array([d.score for d in self.detections])
        mean = weights @ self.shares / weights.sum()
        return dict(zip(self.modalities, mean.tolist(), strict=True))


class Attributor:
    """Runs the fusion model plus its decomposition on one frame at a time."""

    def __init__(
        self,
        model: SimpleBEV,
        rig: Rig,
        device: str = "cpu",
        score_threshold: float = 0.3,
        max_detections: int = 50,
    ) -> None:
        model.config.check_rig(rig)
        self.model = model.eval().to(device)
        self.rig = rig
        self.device = device
        self.score_threshold = score_threshold
        self.max_detections = max_detections
        self.modalities = model.config.modalities

    @torch.no_grad()
    def __call__(self, frame: SensorFrame) -> FrameAttribution:
        inputs = preprocess([frame], self.rig, self.model.config).to(self.device)
        bevs = self.model.encode(inputs)
        decomposition = decompose(
            self.model.head, {m: i for i, m in enumerate(self.modalities)}, *bevs
        )
        detections = decode_detections(
            decomposition.reference, self.model.config, self.score_threshold, self.max_detections
        )[0]
        names = (*self.modalities, "bias")
        heatmaps = torch.stack([decomposition.streams[n]["heatmap"][0] for n in names]).cpu()
        cells = torch.tensor([d.cell for d in detections], dtype=torch.long)
        cls, row, col = cells.reshape(-1, 3).T
        contributions = heatmaps[:, cls, row, col].T.double().numpy()
        logits = decomposition.reference["heatmap"][0][cls, row, col].cpu().double().numpy()
        share_by_modality = modality_shares(
            {m: contributions[:, k] for k, m in enumerate(self.modalities)}
        )
        shares = np.stack([share_by_modality[m] for m in self.modalities], axis=1)
        segmentation = torch.stack(
            [decomposition.streams[m]["segmentation"][0] for m in self.modalities]
        ).cpu()
        probability = torch.sigmoid(decomposition.reference["segmentation"][0]).cpu()
        evidence = (segmentation.clamp(min=0) * probability).amax(dim=1)
        present = {m: p for m, p in frame.present().items() if m in self.modalities}
        return FrameAttribution(
            stamp=frame.stamp,
            modalities=self.modalities,
            detections=detections,
            logits=logits,
            contributions=contributions,
            shares=shares.reshape(len(detections), len(self.modalities)),
            evidence=evidence.numpy(),
            present=present,
        )
