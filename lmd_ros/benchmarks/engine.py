"""``lmd_benchmark engine``: the cost of a decomposition next to a plain forward and exact Shapley.

On one input, side by side: the plain forward, ``decompose`` from the fusion point (the camera
encoder runs once, as in the forward, and the camera stream starts at its BEV output), and exact
modality Shapley (2^M forwards, an absent modality's input zeroed). Medians of ``--repeats`` runs,
as ratios to the plain forward, for M = 2 and 3 on a SimpleBEV-shaped model. Prints Markdown.

The model is a seam (``compare``): anything with ``encode(inputs)`` -> per-modality BEVs and a
``head`` module with ``model(inputs) == model.head(*model.encode(inputs))``, as ``SimpleBEV``.
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils._pytree import tree_leaves, tree_map

from lmd_ros.decomposition import Decomposition, decompose

Inputs = dict[str, torch.Tensor]


def compare(model: nn.Module, inputs: Any, modalities: Sequence[str],
            without: Callable[[Any, str], Any], repeats: int) -> dict[str, float]:
    """Median seconds of the forward, the head alone, ``decompose`` and exact Shapley, and the
    decomposition's completeness gap max|Σ streams − output| / max|output| (a sanity check).

    ``without(inputs, m)``: the inputs with modality m absent (Shapley's missing player).
    """
    def decomposition() -> Decomposition:
        order = {m: i for i, m in enumerate(modalities)}
        return decompose(model.head, order, *model.encode(inputs))

    with torch.no_grad():
        bevs = model.encode(inputs)
        timings = _median_seconds({
            "forward": lambda: model(inputs),
            "head": lambda: model.head(*bevs),
            "decompose": decomposition,
            "shapley": lambda: modality_shapley(model, inputs, modalities, without),
        }, repeats)
        d = decomposition()
    gaps = [(sum(parts) - out).abs().max() / out.abs().max() for out, *parts in zip(
        tree_leaves(d.reference), *map(tree_leaves, d.streams.values()), strict=True)]
    return {**timings, "gap": max(gaps).item()}


def modality_shapley(model: nn.Module, inputs: Any, modalities: Sequence[str],
                     without: Callable[[Any, str], Any]) -> dict[str, Any]:
    """Exact Shapley values of the modalities for every output: 2^M forwards.

    φ_m = Σ_{S ⊆ M∖m} |S|!(M−|S|−1)!/M! · (v(S ∪ m) − v(S)), v(S) = the output with only S present.
    """
    n = len(modalities)
    values = {}
    for size in range(n + 1):
        for present in itertools.combinations(modalities, size):
            reduced = inputs
            for m in modalities:
                if m not in present:
                    reduced = without(reduced, m)
            values[frozenset(present)] = model(reduced)
    shapley = {}
    for m in modalities:
        others = [o for o in modalities if o != m]
        terms = []
        for size in range(n):
            weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for subset in itertools.combinations(others, size):
                with_m, without_m = values[frozenset((*subset, m))], values[frozenset(subset)]
                terms.append(tree_map(lambda a, b, w=weight: w * (a - b), with_m, without_m))
        shapley[m] = tree_map(lambda *t: sum(t), *terms)
    return shapley


class BasicBlock(nn.Module):
    """ResNet basic block (BatchNorm + ReLU); a strided one projects its shortcut."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Identity() if stride == 1 and c_in == c_out else nn.Sequential(
            nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


class UpBlock(nn.Module):
    """SimpleBEV's up-block: bilinear x2, 1x1 conv, InstanceNorm, plus the skip."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 1, bias=False)
        self.norm = nn.InstanceNorm2d(c_out)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        up = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        return self.norm(self.conv(up)) + skip


HEAD_OUTPUTS = {"segmentation": 1, "heatmap": 2, "regression": 6}


class Head(nn.Module):
    """From the fusion point on: compressor, ResNet trunk, up-blocks with skips, output heads."""

    def __init__(self, c_in: int, widths: Sequence[int]) -> None:
        super().__init__()
        self.compressor = nn.Sequential(nn.Conv2d(c_in, widths[0], 3, padding=1, bias=False),
                                        nn.InstanceNorm2d(widths[0]), nn.GELU())
        self.stages = nn.ModuleList([BasicBlock(widths[0], widths[0], 1)] + [
            BasicBlock(a, b, 2) for a, b in itertools.pairwise(widths)])
        self.ups = nn.ModuleList([UpBlock(b, a) for a, b in itertools.pairwise(widths)][::-1])
        self.heads = nn.ModuleDict({name: nn.Sequential(
            nn.Conv2d(widths[0], widths[0], 3, padding=1, bias=False),
            nn.InstanceNorm2d(widths[0]), nn.ReLU(), nn.Conv2d(widths[0], n, 1))
            for name, n in HEAD_OUTPUTS.items()})

    def forward(self, *bevs: torch.Tensor) -> dict[str, torch.Tensor]:
        x = self.compressor(torch.cat(bevs, 1))
        skips = []
        for stage in self.stages:
            x = stage(x)
            skips.append(x)
        for up, skip in zip(self.ups, skips[-2::-1], strict=True):
            x = up(x, skip)
        return {name: head(x) for name, head in self.heads.items()}


class StandInBEV(nn.Module):
    """SimpleBEV-shaped: a ResNet camera encoder, grid_sample lifting of its features into a
    (Z, X, Y) voxel grid averaged over cameras, radar/LiDAR BEV rasters as they come, then the
    ``Head``. The sampling grid is fixed random (it stands in for calibrated projections)."""

    def __init__(self, modalities: Sequence[str], cameras: int = 6,
                 image: tuple[int, int] = (128, 224), bev: int = 64, z_levels: int = 4,
                 camera_channels: int = 32, raster_channels: int = 8,
                 widths: Sequence[int] = (48, 64, 96)) -> None:
        super().__init__()
        self.modalities = tuple(modalities)
        self.cameras, self.image, self.bev, self.z_levels = cameras, image, bev, z_levels
        self.raster_channels = raster_channels
        self.camera_encoder = nn.Sequential(
            nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
            BasicBlock(32, 32, 1), BasicBlock(32, 64, 2), BasicBlock(64, 64, 1),
            BasicBlock(64, 128, 2), BasicBlock(128, 128, 1), nn.Conv2d(128, camera_channels, 1))
        generator = torch.Generator().manual_seed(0)
        self.register_buffer("grid", torch.rand(cameras, z_levels * bev, bev, 2,
                                                generator=generator) * 2 - 1)
        c_in = sum(camera_channels * z_levels if m == "camera" else raster_channels
                   for m in self.modalities)
        self.head = Head(c_in, widths)

    def random_inputs(self, batch: int = 1) -> Inputs:
        generator = torch.Generator().manual_seed(1)
        inputs = {m: torch.randn(batch, self.raster_channels, self.bev, self.bev,
                                 generator=generator) for m in self.modalities if m != "camera"}
        if "camera" in self.modalities:
            inputs["camera"] = torch.randn(batch, self.cameras, 3, *self.image,
                                           generator=generator)
        return inputs

    def encode(self, inputs: Inputs) -> tuple[torch.Tensor, ...]:
        return tuple(self._lift(inputs[m]) if m == "camera" else inputs[m]
                     for m in self.modalities)

    def forward(self, inputs: Inputs) -> dict[str, torch.Tensor]:
        return self.head(*self.encode(inputs))

    def _lift(self, images: torch.Tensor) -> torch.Tensor:
        batch = images.shape[0]
        features = self.camera_encoder(images.flatten(0, 1))
        grid = self.grid.repeat(batch, 1, 1, 1)
        sampled = F.grid_sample(features, grid, align_corners=False)
        sampled = sampled.reshape(batch, self.cameras, -1, self.z_levels, self.bev, self.bev)
        return sampled.mean(1).flatten(1, 2)


def _zeroed(inputs: Inputs, modality: str) -> Inputs:
    return {**inputs, modality: torch.zeros_like(inputs[modality])}


def _median_seconds(candidates: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median wall time of each candidate, run in turns so that load on a shared machine hits
    them alike; one warm-up run each."""
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for round_ in range(repeats + 1):
        for name, fn in candidates.items():
            start = time.perf_counter()
            fn()
            if round_:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lmd_benchmark engine", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per measurement")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"SimpleBEV-shaped stand-in, CPU, {args.threads} thread(s), median of {args.repeats}\n")
    print("| M | forward ms | head ms | decompose ms | Shapley ms | decompose/forward "
          "| Shapley/forward | Shapley/decompose | completeness gap |")
    print("|---|---|---|---|---|---|---|---|---|")
    for modalities in (("camera", "radar"), ("camera", "radar", "lidar")):
        torch.manual_seed(0)
        model = StandInBEV(modalities).eval()
        t = compare(model, model.random_inputs(), modalities, _zeroed, args.repeats)
        print(f"| {len(modalities)} | {1e3 * t['forward']:.0f} | {1e3 * t['head']:.0f} "
              f"| {1e3 * t['decompose']:.0f} | {1e3 * t['shapley']:.0f} "
              f"| {t['decompose'] / t['forward']:.2f} | {t['shapley'] / t['forward']:.2f} "
              f"| {t['shapley'] / t['decompose']:.2f} | {t['gap']:.1e} |")
    print(f"\ndecompose/forward = {t['decompose'] / t['forward']:.2f}x, "
          f"shapley/decompose = {t['shapley'] / t['decompose']:.2f}x")
    return 0
