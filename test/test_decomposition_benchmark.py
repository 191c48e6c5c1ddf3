"""The engine benchmark's baseline and seam: exact modality Shapley, and ``compare`` on a tiny
SimpleBEV-shaped model (its timings are the benchmark's business, not a test's)."""

from __future__ import annotations

import torch
from torch import nn

from lmd_ros.benchmarks.engine import StandInBEV, compare, modality_shapley


class Interacting(nn.Module):
    """A x + B y + c + x·y (elementwise): linear parts plus one interaction."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(3, 3), nn.Linear(3, 3, bias=False)

    def forward(self, inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        x, y = inputs["x"], inputs["y"]
        return {"out": self.a(x) + self.b(y) + x * y}


def _without(inputs: dict[str, torch.Tensor], m: str) -> dict[str, torch.Tensor]:
    return {**inputs, m: torch.zeros_like(inputs[m])}


def test_exact_shapley_splits_interactions_evenly_and_sums_to_the_gain():
    torch.manual_seed(0)
    model = Interacting().double()
    inputs = {"x": torch.randn(3, dtype=torch.float64), "y": torch.randn(3, dtype=torch.float64)}
    phi = modality_shapley(model, inputs, ("x", "y"), _without)
    x, y = inputs["x"], inputs["y"]
    torch.testing.assert_close(phi["x"]["out"], model.a(x) - model.a.bias + x * y / 2)
    torch.testing.assert_close(phi["y"]["out"], model.b(y) + x * y / 2)
    empty = model({"x": torch.zeros_like(x), "y": torch.zeros_like(y)})["out"]
    torch.testing.assert_close(phi["x"]["out"] + phi["y"]["out"], model(inputs)["out"] - empty)


def test_compare_times_all_four_and_checks_completeness():
    torch.manual_seed(0)
    modalities = ("camera", "radar", "lidar")
    model = StandInBEV(modalities, cameras=2, image=(16, 24), bev=8, z_levels=2,
                       camera_channels=4, raster_channels=2, widths=(4, 6)).eval()
    result = compare(model, model.random_inputs(), modalities,
                     lambda inputs, m: {**inputs, m: torch.zeros_like(inputs[m])}, repeats=1)
    assert set(result) == {"forward", "head", "decompose", "shapley", "gap"}
    assert all(result[k] > 0 for k in ("forward", "head", "decompose", "shapley"))
    assert result["gap"] < 1e-5
