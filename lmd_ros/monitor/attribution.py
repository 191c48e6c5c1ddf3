"""One sensor frame → detections, each split into per-modality contributions, for any model.

This is the product's core step, shared by the live node, the bag analysis and the demo: the
adapter's fusion network runs once per frame and LMD decomposes it from the adapter's fusion
point, so each detection's output scalar (its logit) is exactly ``Σ_m c_m + c_bias``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from lmd_ros.adapters import Detection, ModelAdapter, read_output
from lmd_ros.decomposition import decompose
from lmd_ros.monitor.dependency import depends_on_one, linearized_dependencies
from lmd_ros.monitor.shares import modality_shares
from lmd_ros.sensors import Rig, SensorFrame


@dataclass
class FrameAttribution:
    """What the monitor knows about one frame.

    ``contributions``: (N, M + 1) contributions, columns ``modalities + ("bias",)``; each row sums
    to the detection's ``logits`` entry (the adapter's output scalar). ``shares``: (N, M),
    |c_m| / Σ_k |c_k| over the modalities. ``evidence``: (M, X, Y) per-modality BEV support from
    the adapter, or None. ``dependencies``: (N, M) bool, detection n would fall below the score
    threshold without modality m's contribution (`linearized_dependencies`). ``dropped``:
    detections left out because a contribution was not finite.
    ``notes``: the decomposition's warnings (a modality's stream vanished although its input was
    not zero; a random op inside the decomposed region).
    """

    stamp: float
    modalities: tuple[str, ...]
    detections: list[Detection]
    logits: np.ndarray
    contributions: np.ndarray
    shares: np.ndarray
    evidence: np.ndarray | None
    present: dict[str, bool]
    dependencies: np.ndarray
    dropped: int = 0
    notes: list[str] = field(default_factory=list)

    def frame_shares(self) -> dict[str, float] | None:
        """Score-weighted mean share per modality over the detections; None without detections."""
        if not self.detections:
            return None
        weights = np.array([d.score for d in self.detections])
        mean = weights @ self.shares / weights.sum()
        return dict(zip(self.modalities, mean.tolist(), strict=True))

    def sole_dependencies(self) -> list[str | None]:
        """Per detection the one modality it depends on alone (single-sensor), else None."""
        return [self.modalities[row.argmax()] if alone else None
                for row, alone in zip(self.dependencies, depends_on_one(self.dependencies),
                                      strict=True)]

    def single_sensor_detections(self) -> int:
        """How many detections depend on one sensor alone."""
        return int(depends_on_one(self.dependencies).sum())

    def single_sensor_counts(self) -> dict[str, int]:
        """Per modality, how many detections depend on it alone."""
        alone = self.dependencies[depends_on_one(self.dependencies)]
        return dict(zip(self.modalities, alone.sum(axis=0).tolist(), strict=True))


class Attributor:
    """Runs an adapter's model plus its decomposition on one frame at a time."""

    def __init__(self, adapter: ModelAdapter, score_threshold: float = 0.3,
                 max_detections: int = 50) -> None:
        self.adapter = adapter
        self.modalities = tuple(adapter.modalities)
        self.score_threshold = score_threshold
        self.max_detections = max_detections

    @property
    def device(self) -> str:
        return str(self.adapter.device)

    @torch.no_grad()
    def __call__(self, frame: SensorFrame, rig: Rig) -> FrameAttribution:
        call = self.adapter.fusion_call(frame, rig)
        decomposition = decompose(call.module, call.modalities, *call.args,
                                  start_at=call.start_at, outputs=call.outputs, **call.kwargs)
        detections = self.adapter.detections(decomposition.reference, self.score_threshold,
                                             self.max_detections)
        names = (*self.modalities, "bias")
        contributions = np.array(
            [[read_output(decomposition.streams[n], d.output).item() for n in names]
             for d in detections], dtype=np.float64).reshape(len(detections), len(names))
        logits = np.array([read_output(decomposition.reference, d.output).item()
                           for d in detections], dtype=np.float64)
        finite = np.isfinite(contributions).all(axis=1) & np.isfinite(logits)
        kept = [d for d, ok in zip(detections, finite, strict=True) if ok]
        contributions, logits = contributions[finite], logits[finite]
        share_by_modality = modality_shares(
            {m: contributions[:, k] for k, m in enumerate(self.modalities)})
        shares = np.stack([share_by_modality[m] for m in self.modalities], axis=1)
        evidence = self.adapter.evidence(decomposition.streams, decomposition.reference)
        sensors_present = frame.present()
        present = {m: any(sensors_present[k] for k in self.adapter.sensors[m])
                   for m in self.modalities}
        return FrameAttribution(
            stamp=frame.stamp,
            modalities=self.modalities,
            detections=kept,
            logits=logits,
            contributions=contributions,
            shares=shares.reshape(len(kept), len(self.modalities)),
            evidence=None if evidence is None else np.asarray(evidence, np.float64),
            present=present,
            dependencies=linearized_dependencies(logits, contributions, self.score_threshold),
            dropped=int((~finite).sum()),
            notes=[w.message for w in decomposition.warnings],
        )
