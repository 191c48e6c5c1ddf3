"""What a model adapter tells the monitor: modalities, inputs, fusion point, detections.

The contract, per synchronised frame:

1. ``adapter.fusion_call(frame, rig)`` turns the `SensorFrame` into the model's inputs and says
   where LMD starts (a module and which of its inputs, or parts of one input, belong to which
   modality).
2. The monitor runs ``decompose`` on that call: every output leaf splits exactly into one stream
   per modality plus a bias.
3. ``adapter.detections(outputs, …)`` decodes the reference outputs into boxes; each box names
   the one output scalar (`Detection.output`) whose streams are its contributions, so the split
   ``logit = Σ_m c_m + c_bias`` is exact for any head (dense heatmaps, queries, anchors).
4. ``adapter.evidence(decomposition)`` optionally maps each modality's support on a BEV grid for
   the picture.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from torch import nn

from lmd_ros.sensors import SENSOR_KINDS, Rig, SensorFrame

OutputPath = tuple[Any, ...]
"""Keys into the output structure (dict keys, tuple positions), then the index of one scalar in
the tensor reached, e.g. ``("heatmap", 0, class_id, row, col)`` or ``("logits", 0, query, c)``."""


@dataclass(frozen=True)
class Detection:
    """A box in the ego frame, its class and score, and the output scalar its score comes from.

    ``output`` is split by LMD; ``score`` is what the adapter derives from it (e.g. its sigmoid).
    """

    x: float
    y: float
    z: float
    l: float  # noqa: E741 - the box's length, as in GroundTruth.boxes
    w: float
    h: float
    yaw: float
    class_id: int
    score: float
    output: OutputPath


@dataclass(frozen=True)
class BEVGrid:
    """The ego-frame grid of evidence maps: row i is x bin ``x_min + (i + 0.5) * resolution``
    (forward), column j the y bin (left)."""

    x_range: tuple[float, float]
    y_range: tuple[float, float]
    resolution: float

    @property
    def shape(self) -> tuple[int, int]:
        return (round((self.x_range[1] - self.x_range[0]) / self.resolution),
                round((self.y_range[1] - self.y_range[0]) / self.resolution))


@dataclass
class FusionCall:
    """One decomposition to run: ``decompose(module, modalities, *args, start_at=…, **kwargs)``.

    ``modalities`` maps each modality to its selector(s) among the inputs of ``module`` (or of
    the ``start_at`` module): positions, keyword names, or ``Slice``s of one input.
    ``outputs``: the output leaves the adapter reads (detections and evidence); None = all.
    """

    module: nn.Module
    args: tuple[Any, ...]
    modalities: Mapping[str, Any]
    kwargs: dict[str, Any] = field(default_factory=dict)
    start_at: str | None = None
    outputs: Sequence[Any] | None = None


class ModelAdapter(ABC):
    """Everything the monitor needs to know about one fusion network.

    Subclasses set ``modalities`` (any names, M ≥ 1, in the order used for every table and
    message), ``sensors`` (modality → the sensor kinds feeding it, among ``SENSOR_KINDS``),
    ``class_names`` and, when they give evidence maps, ``bev_grid``; ``device``; optionally
    ``field_ranges`` and ``alarm_spreads``.
    """

    modalities: tuple[str, ...]
    sensors: Mapping[str, tuple[str, ...]]
    class_names: tuple[str, ...]
    device: str = "cpu"
    bev_grid: BEVGrid | None = None
    field_ranges: Mapping[str, tuple[float, float]] = MappingProxyType({})
    """The ranges the model was trained on, per ``"<kind>.<column>"`` (``"lidar.intensity"``,
    ``"radar.rcs"``, ``"radar.v_radial"``): inputs far outside raise a WARN on /diagnostics."""
    alarm_spreads: Mapping[str, float] = MappingProxyType({})
    """Normal spreads of the alarm signals for this model, measured on clean drives
    (`lmd_ros.monitor.alarm_calibration`); empty: learnt over each warm-up."""

    @abstractmethod
    def fusion_call(self, frame: SensorFrame, rig: Rig) -> FusionCall:
        """The model's inputs for ``frame`` and where the decomposition starts.

        A sensor absent from the frame must become the model's "absent" input (zeros, a mask),
        never an error: a silent sensor is what the monitor exists to report.
        """

    @abstractmethod
    def detections(self, outputs: Any, score_threshold: float,
                   max_detections: int) -> list[Detection]:
        """Boxes of one frame from the (reference) outputs, best first."""

    def evidence(self, streams: Mapping[str, Any], outputs: Any) -> np.ndarray | None:
        """(M, X, Y) per-modality BEV support on ``bev_grid`` for the picture; None = no picture.

        ``streams``: modality (and ``bias``) → that stream of the outputs.
        """
        return None

    def check_rig(self, rig: Rig) -> None:
        """Raise ``ValueError`` naming what differs when the model cannot run on ``rig``."""
        return None

    def describe(self) -> str:
        """One line for logs: what model this is."""
        return f"{type(self).__name__} ({'+'.join(self.modalities)})"


def check_adapter(adapter: Any) -> ModelAdapter:
    """Refuse an object that does not keep the protocol, with the reason."""
    if not isinstance(adapter, ModelAdapter):
        raise TypeError(f"returned {type(adapter).__name__}, not a lmd_ros ModelAdapter")
    modalities = tuple(getattr(adapter, "modalities", ()))
    if not modalities or len(set(modalities)) != len(modalities) or "bias" in modalities:
        raise TypeError(f"modalities must be unique names other than 'bias', got {modalities}")
    sensors = getattr(adapter, "sensors", {})
    unfed = [m for m in modalities if not sensors.get(m)]
    if unfed:
        raise TypeError(f"modalities {unfed} are fed by no sensor kind (adapter.sensors)")
    unknown = sorted({k for m in modalities for k in sensors[m]} - set(SENSOR_KINDS))
    if unknown:
        raise TypeError(f"unknown sensor kinds {unknown}; known: {list(SENSOR_KINDS)}")
    if not tuple(getattr(adapter, "class_names", ())):
        raise TypeError("class_names is empty")
    return adapter
