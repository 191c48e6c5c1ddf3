"""A user's own architecture, written outside the package, runs through the monitor unchanged.

The model here is a tiny untrained radar + LiDAR BEV network with modality names of its own:
``points`` (fed by the LiDAR) and ``echo`` (fed by the radar), no camera, M = 2, decomposed
from its inputs (no fusion-point module), one dense objectness map as its detection head.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from test_bag_support import WORKDIR, columns, synthetic_bag
from torch import nn

from lmd_ros.adapters import BEVGrid, Detection, FusionCall, ModelAdapter
from lmd_ros.bag.analysis import AnalysisOptions, analyse_bag
from lmd_ros.monitor.assembly import build_core
from lmd_ros.monitor.settings import MonitorSettings
from lmd_ros.sensors import Rig, SensorFrame
from lmd_ros.world import Drive

GRID = BEVGrid((-24.0, 24.0), (-24.0, 24.0), 1.5)
MODEL = f"{__name__}:build"
"""Found by import path, as a user's ``my_package.my_module:build`` would be."""
NO_CAMERAS = {"camera_names": (), "camera_topics": (), "score_threshold": 0.05,
              "max_detections": 10}


class EchoPointsNet(nn.Module):
    """One conv per modality, summed, then a small GroupNorm + ReLU head → objectness logits."""

    def __init__(self) -> None:
        super().__init__()
        self.points = nn.Conv2d(1, 8, 3, padding=1)
        self.echo = nn.Conv2d(1, 8, 3, padding=1)
        self.head = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.GroupNorm(2, 8), nn.ReLU(),
                                  nn.Conv2d(8, 1, 1))

    def forward(self, points: torch.Tensor, echo: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"objectness": self.head(self.points(points) + self.echo(echo))}


def occupancy(cloud: np.ndarray | None, T_ego_sensor: np.ndarray) -> torch.Tensor:
    """(1, 1, X, Y) log point count per cell; an absent sensor is all zeros."""
    counts = np.zeros(GRID.shape, np.float32)
    if cloud is not None and len(cloud):
        xy = cloud[:, :3] @ T_ego_sensor[:3, :3].T[:, :2] + T_ego_sensor[:2, 3]
        counts = np.histogram2d(xy[:, 0], xy[:, 1], bins=GRID.shape,
                                range=(GRID.x_range, GRID.y_range))[0].astype(np.float32)
    return torch.from_numpy(np.log1p(counts))[None, None]


class EchoPointsAdapter(ModelAdapter):
    modalities = ("points", "echo")
    class_names = ("object",)
    bev_grid = GRID

    def __init__(self, model: EchoPointsNet) -> None:
        self.sensors = {"points": ("lidar",), "echo": ("radar",)}
        self.model = model.eval()

    def fusion_call(self, frame: SensorFrame, rig: Rig) -> FusionCall:
        points = occupancy(frame.lidar, rig.lidar.T_ego_sensor)
        echo = occupancy(frame.radar, rig.radar.T_ego_sensor)
        return FusionCall(self.model, (points, echo), {"points": 0, "echo": 1})

    def detections(self, outputs: Any, score_threshold: float,
                   max_detections: int) -> list[Detection]:
        logits = outputs["objectness"][0, 0]
        best = torch.argsort(logits.flatten(), descending=True)[:max_detections].tolist()
        found = []
        for index in best:
            row, col = divmod(index, GRID.shape[1])
            score = float(torch.sigmoid(logits[row, col]))
            if score >= score_threshold:
                found.append(Detection(
                    x=GRID.x_range[0] + (row + 0.5) * GRID.resolution,
                    y=GRID.y_range[0] + (col + 0.5) * GRID.resolution, z=0.8, l=4.0, w=2.0,
                    h=1.6, yaw=0.0, class_id=0, score=score,
                    output=("objectness", 0, 0, row, col)))
        return found

    def evidence(self, streams: Mapping[str, Any], outputs: Any) -> np.ndarray:
        return np.stack([streams[m]["objectness"][0, 0].clamp(min=0).numpy()
                         for m in self.modalities])


def build(checkpoint: str = "", options: Mapping[str, Any] | None = None,
          device: str = "cpu") -> EchoPointsAdapter:
    torch.manual_seed(0)
    return EchoPointsAdapter(EchoPointsNet())


def test_core_runs_a_two_modality_model_with_its_own_names():
    core = build_core(MonitorSettings(model=MODEL, **NO_CAMERAS))
    assert core.modalities == ("points", "echo")
    assert core.sources == ("radar/radar", "lidar/lidar")
    frame = Drive(seed=4).frame(10)[0]
    result = core.attributor(frame, core.rig)
    assert result.detections
    assert result.contributions.shape == (len(result.detections), 3)
    np.testing.assert_allclose(result.contributions.sum(1), result.logits, atol=1e-4, rtol=0)
    assert result.evidence.shape == (2, *GRID.shape)
    no_lidar = core.attributor(dataclasses.replace(frame, lidar=None), core.rig)
    assert no_lidar.present == {"points": False, "echo": True}
    np.testing.assert_array_equal(no_lidar.contributions[:, 0], 0.0)


def test_bag_analysis_writes_the_models_own_columns():
    config = WORKDIR / "third_party.yaml"
    parameters = "".join(f"    {k}: {list(v) if isinstance(v, tuple) else v}\n"
                         for k, v in NO_CAMERAS.items())
    config.write_text(f"lmd_monitor:\n  ros__parameters:\n{parameters}")
    out = WORKDIR / "third_party_analysis"
    summary = analyse_bag(synthetic_bag(1.0, seed=3, rate_hz=5.0), out,
                          AnalysisOptions(config=config, model=MODEL))
    assert summary["frames"] > 0
    table = columns(out / "detections.parquet")
    assert {"c_points", "c_echo", "s_points", "s_echo"} <= set(table)
    assert not any(name.endswith(("_camera", "_radar", "_lidar")) for name in table)
    total = table["c_points"] + table["c_echo"] + table["c_bias"]
    np.testing.assert_allclose(total, table["logit"], atol=1e-4, rtol=0)
    assert (out / "report.html").stat().st_size > 0
