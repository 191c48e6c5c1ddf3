"""Does the linearized counterfactual say what really happens when a sensor is removed?

The monitor calls a detection dependent on modality m when ``sigmoid(z − c_m)`` falls below the
score threshold (`lmd_ros.monitor.dependency`): one decomposition, no extra forward pass. The
real counterfactual runs the model again with m's sensors absent from the frame (as a silent
sensor reaches the model; the reference model was trained with such modality dropout) and reads
the same output scalar ``z_without_m``: dependent when ``sigmoid(z_without_m)`` is below the
threshold. A sensor kind feeding several modalities is removed with each of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from lmd_ros.adapters import Detection, ModelAdapter, read_output
from lmd_ros.model.modality_dropout import keep_modalities
from lmd_ros.monitor.attribution import Attributor
from lmd_ros.monitor.dependency import below_threshold
from lmd_ros.sensors import SENSOR_KINDS, Rig, SensorFrame


@dataclass(frozen=True)
class AgreementCounts:
    """Detections of one modality by (linearized, real) dependency."""

    both: int
    linearized_only: int
    real_only: int
    neither: int

    @property
    def total(self) -> int:
        return self.both + self.linearized_only + self.real_only + self.neither

    @property
    def agreement(self) -> float:
        """Share of detections where both counterfactuals agree; NaN without detections."""
        return (self.both + self.neither) / self.total if self.total else float("nan")


@dataclass(frozen=True)
class DependencyAgreement:
    """Per modality the agreement of the two counterfactuals over ``detections`` detections
    of ``frames`` frames."""

    frames: int
    detections: int
    counts: dict[str, AgreementCounts]

    @property
    def agreement(self) -> float:
        """Over every (detection, modality) pair; NaN without detections."""
        agreeing = sum(c.both + c.neither for c in self.counts.values())
        total = sum(c.total for c in self.counts.values())
        return agreeing / total if total else float("nan")


def agreement_counts(linearized: np.ndarray, real: np.ndarray) -> list[AgreementCounts]:
    """Per column of two (N, M) bool dependency tables."""
    return [AgreementCounts(both=int((lin & rea).sum()), linearized_only=int((lin & ~rea).sum()),
                            real_only=int((~lin & rea).sum()), neither=int((~lin & ~rea).sum()))
            for lin, rea in zip(linearized.T, real.T, strict=True)]


@torch.no_grad()
def dependency_agreement(adapter: ModelAdapter, frames: Sequence[SensorFrame], rig: Rig,
                         score_threshold: float) -> DependencyAgreement:
    """The linearized dependencies of every detection in ``frames`` against the real ones."""
    attributor = Attributor(adapter, score_threshold)
    none = np.zeros((0, len(adapter.modalities)), bool)
    linearized, real = [none], [none]
    for frame in frames:
        result = attributor(frame, rig)
        linearized.append(result.dependencies)
        real.append(np.stack([
            below_threshold(_logits_without(adapter, frame, rig, m, result.detections),
                            score_threshold)
            for m in adapter.modalities], axis=1))
    linearized, real = np.concatenate(linearized), np.concatenate(real)
    return DependencyAgreement(
        frames=len(frames), detections=len(linearized),
        counts=dict(zip(adapter.modalities, agreement_counts(linearized, real), strict=True)))


def _logits_without(adapter: ModelAdapter, frame: SensorFrame, rig: Rig, modality: str,
                    detections: Sequence[Detection]) -> np.ndarray:
    """Each detection's output scalar from a plain forward pass with ``modality``'s sensors
    absent."""
    ablated = keep_modalities(frame, set(SENSOR_KINDS) - set(adapter.sensors[modality]))
    call = adapter.fusion_call(ablated, rig)
    outputs = call.module(*call.args, **call.kwargs)
    return np.array([read_output(outputs, d.output).item() for d in detections], np.float64)
