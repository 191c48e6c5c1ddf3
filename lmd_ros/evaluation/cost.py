"""Table 4: time and peak memory of each attribution, as ratios to the plain forward of the head.

Peak memory is what the call allocates on top of what exists before it (its inputs, the
weights), read from the PyTorch profiler's allocation events, so it works on CPU. Captum
attributes one scalar per sample (the sum of the output map): its multi-output mode stores an
attribution per (output cell × input element), 4096 × 262144 floats per modality here. Its
feature masks are one element per modality, broadcast over the input: a full-size mask makes
ShapleyValues walk every mask element in Python (seconds per call, not forwards).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from captum.attr import FeatureAblation, ShapleyValues
from torch import nn
from torch.profiler import ProfilerActivity, profile

from lmd_ros.decomposition import decompose
from lmd_ros.evaluation.shapley import modality_shapley


@dataclass(frozen=True)
class Cost:
    seconds: float
    """Median wall time of one call."""
    peak_bytes: int
    """Peak of the bytes allocated during the call, above the level before it."""


Costs = dict[tuple[int, str], dict[str, Cost]]
"""(M, case) -> attribution name ("forward" first) -> its cost."""


def measure(fn: Callable[[], Any], repeats: int) -> Cost:
    """Median time of ``repeats`` calls after a warm-up, and the peak of one profiled call."""
    with torch.no_grad():
        fn()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return Cost(statistics.median(times), peak_allocated(fn))


def peak_allocated(fn: Callable[[], Any]) -> int:
    """Peak of the running sum of the profiler's allocation events ("[memory]", any device)."""
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as profiler:
        fn()
    with tempfile.TemporaryDirectory() as folder:
        trace = Path(folder) / "trace.json"
        profiler.export_chrome_trace(str(trace))
        events = json.loads(trace.read_text())["traceEvents"]
    running = peak = 0
    for event in sorted((e for e in events if e.get("name") == "[memory]"),
                        key=lambda e: e["ts"]):
        running += event["args"]["Bytes"]
        peak = max(peak, running)
    return peak


def attributions(head: nn.Module, modalities: Sequence[str], inputs: Sequence[torch.Tensor],
                 output: str) -> dict[str, Callable[[], Any]]:
    """The plain forward and every attribution of Table 4, as calls on one sample."""
    indices = {m: i for i, m in enumerate(modalities)}

    def scalar(*x: torch.Tensor) -> torch.Tensor:
        return head(*x)[output].flatten(1).sum(1)

    masks = tuple(torch.full((1,) * x.dim(), i) for i, x in enumerate(inputs))
    return {
        "forward": lambda: head(*inputs),
        "LMD": lambda: decompose(head, indices, *inputs),
        "exact modality Shapley (ours)": lambda: modality_shapley(head, inputs),
        "Captum ShapleyValues": lambda: ShapleyValues(scalar).attribute(
            tuple(inputs), feature_mask=masks),
        "Captum FeatureAblation": lambda: FeatureAblation(scalar).attribute(
            tuple(inputs), feature_mask=masks),
    }


def split_lidar(modalities: Sequence[str], inputs: Sequence[torch.Tensor]
                ) -> tuple[tuple[str, ...], tuple[torch.Tensor, ...]]:
    """M + 1 modalities: the LiDAR BEV split into its height-band densities and its intensity
    (last channel). The head concatenates its inputs, so it runs unchanged on the split."""
    k = modalities.index("lidar")
    lidar = inputs[k]
    return ((*modalities[:k], "lidar_density", "lidar_intensity", *modalities[k + 1:]),
            (*inputs[:k], lidar[:, :-1], lidar[:, -1:], *inputs[k + 1:]))
