"""``lmd_benchmark engine``: the cost of a decomposition next to a plain forward and exact Shapley.

On one held-out frame, side by side: the plain forward, ``decompose`` from the fusion point (the
camera encoder runs once, as in the forward; the camera stream starts at its BEV output), and
exact modality Shapley (2^M full forwards, an absent modality's input zeroed as a silent sensor
would be), and ``decompose`` pruned to the outputs the monitor reads (``PRUNED_OUTPUTS``: the
regression head pushes no streams). Medians of ``--repeats`` runs in turns, as ratios to the
plain forward, for the
shipped camera–radar (M = 2) and camera–radar–LiDAR (M = 3) models, and for the same
architecture at SimpleBEV's proportions (cameras at 4x the pixels and a 4x wider image
encoder, so that the encoder dominates the forward as ResNet-101 does in SimpleBEV; random
weights, timing only).

Below the decomposition's cost lies a floor: the head runs once for the reference and once per
modality stream, so decompose/forward >= 1 + M x head/forward. The table prints it.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
from torch.utils._pytree import tree_leaves

from lmd_ros.decomposition import Decomposition, decompose
from lmd_ros.evaluation.shapley import shapley_values
from lmd_ros.model.checkpoint import CHECKPOINT_DIR, load_model
from lmd_ros.model.config import ModelConfig
from lmd_ros.model.dataset import HELD_OUT_FIRST_SEED
from lmd_ros.model.preprocess import ModelInputs, preprocess
from lmd_ros.model.simplebev import SimpleBEV
from lmd_ros.sensors import Rig, SensorFrame
from lmd_ros.world import Drive, default_rig

PRUNED_OUTPUTS = ("heatmap", "segmentation")
"""The head outputs the monitor decomposes (it publishes heatmap contributions and segmentation
streams; box regression is read from the reference)."""
ABSENT = {"camera": {"images": {}}, "radar": {"radar": None}, "lidar": {"lidar": None}}
"""How each modality is removed from a frame (what a silent sensor gives)."""


def frame_inputs(model: SimpleBEV, rig: Rig, frame: SensorFrame) -> dict[frozenset, ModelInputs]:
    """The model's inputs for every coalition of present modalities (all of them included)."""
    modalities = model.config.modalities
    coalitions = {}
    for mask in range(2 ** len(modalities)):
        present = frozenset(m for i, m in enumerate(modalities) if mask >> i & 1)
        reduced = frame
        for m in set(modalities) - present:
            reduced = dataclasses.replace(reduced, **ABSENT[m])
        coalitions[present] = preprocess([reduced], rig, model.config)
    return coalitions


def compare(model: SimpleBEV, coalitions: dict[frozenset, ModelInputs], repeats: int
            ) -> dict[str, float]:
    """Median seconds of the forward, the head alone, ``decompose`` (full and pruned to
    ``PRUNED_OUTPUTS``) and exact Shapley, and the completeness gap of both decompositions
    max|Σ streams − output| / max|output| over the leaves they decompose (a sanity check)."""
    modalities = model.config.modalities
    inputs = coalitions[frozenset(modalities)]
    order = {m: i for i, m in enumerate(modalities)}

    def decomposition(outputs: tuple[str, ...] | None = None):
        return decompose(model.head, order, *model.encode(inputs), outputs=outputs)

    def shapley():
        return shapley_values(
            lambda c: model(coalitions[frozenset(modalities[i] for i in c)]), len(modalities)
        )

    with torch.no_grad():
        bevs = model.encode(inputs)
        timings = _median_seconds({
            "forward": lambda: model(inputs),
            "head": lambda: model.head(*bevs),
            "decompose": decomposition,
            "pruned": lambda: decomposition(PRUNED_OUTPUTS),
            "shapley": shapley,
        }, repeats)
        gaps = [_gap(decomposition()), _gap(decomposition(PRUNED_OUTPUTS))]
    return {**timings, "gap": max(gaps)}


def _gap(d: Decomposition) -> float:
    gaps = [(sum(parts) - out).abs().max() / out.abs().max() for out, *parts in zip(
        tree_leaves(d.reference), *(tree_leaves(s, is_leaf=lambda x: x is None)
                                    for s in d.streams.values()), strict=True)
            if parts[0] is not None]
    return max(gaps).item()


def _median_seconds(candidates: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median time of each candidate, run in turns so that load on a shared machine hits them
    alike; one warm-up run each. With one torch thread, the CPU time of this process (other
    processes on a shared machine then do not count); with more, wall time."""
    clock = time.process_time if torch.get_num_threads() == 1 else time.perf_counter
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for round_ in range(repeats + 1):
        for name, fn in candidates.items():
            start = clock()
            fn()
            if round_:
                times[name].append(clock() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def _cases() -> list[tuple[str, SimpleBEV, Rig]]:
    rig = default_rig()
    large_rig = default_rig(height=192, width=320)
    torch.manual_seed(0)
    large = ModelConfig(image_height=192, image_width=320, camera_width=128)
    return [
        ("shipped camera–radar (cr.pt)", load_model(CHECKPOINT_DIR / "cr.pt"), rig),
        ("shipped camera–radar–LiDAR (crl.pt)", load_model(CHECKPOINT_DIR / "crl.pt"), rig),
        ("SimpleBEV proportions, camera–radar", SimpleBEV(
            dataclasses.replace(large, modalities=("camera", "radar"))).eval(), large_rig),
        ("SimpleBEV proportions, camera–radar–LiDAR", SimpleBEV(large).eval(), large_rig),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lmd_benchmark engine", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per measurement")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    clock = "CPU time" if args.threads == 1 else "wall time"
    print(f"CPU, {args.threads} thread(s), {clock}, median of {args.repeats}, one held-out frame\n")
    print("| model | M | forward ms | decompose/forward | pruned/forward "
          "| floor 1+M·head/forward | Shapley/forward | Shapley/decompose | completeness gap |")
    print("|---|---|---|---|---|---|---|---|---|")
    headline = {}
    for name, model, rig in _cases():
        frame = Drive(seed=HELD_OUT_FIRST_SEED, rig=rig).frame(40)[0]
        t = compare(model, frame_inputs(model, rig, frame), args.repeats)
        m = len(model.config.modalities)
        print(f"| {name} | {m} | {1e3 * t['forward']:.0f} | {t['decompose'] / t['forward']:.2f} "
              f"| {t['pruned'] / t['forward']:.2f} | {1 + m * t['head'] / t['forward']:.2f} "
              f"| {t['shapley'] / t['forward']:.2f} "
              f"| {t['shapley'] / t['decompose']:.2f} | {t['gap']:.1e} |")
        if name.startswith("shipped") and m == 3:
            headline = t
    print(f"\ndecompose/forward = {headline['decompose'] / headline['forward']:.2f}x, "
          f"pruned/forward = {headline['pruned'] / headline['forward']:.2f}x, "
          f"shapley/decompose = {headline['shapley'] / headline['decompose']:.2f}x")
    return 0
