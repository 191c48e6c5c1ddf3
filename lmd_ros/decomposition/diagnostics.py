"""The health of one decomposition: how much the bias carries, and streams that vanished."""

from __future__ import annotations

from typing import Any

import torch
from torch.utils._pytree import tree_flatten_with_path, tree_leaves

from lmd_ros.decomposition.result import BIAS, ZERO_STREAM, DecompositionWarning


def leaf_names(tree: Any) -> list[str]:
    """A name per pytree leaf: its keys joined with "." (``"output"`` for a bare leaf)."""
    paths, _ = tree_flatten_with_path(tree)
    return [".".join(str(getattr(k, "key", getattr(k, "idx", k))) for k in path) or "output"
            for path, _ in paths]


def diagnose(reference: Any, streams: dict[str, Any], nonzero_inputs: list[bool]
             ) -> tuple[dict[str, float], list[DecompositionWarning]]:
    """``(bias_fraction, zero-stream warnings)`` of the decomposed floating leaves."""
    names = [n for n in streams if n != BIAS]
    leaves = {name: tree_leaves(tree, is_leaf=lambda x: x is None)
              for name, tree in streams.items()}
    fractions: dict[str, float] = {}
    warnings = []
    for i, (leaf_name, out) in enumerate(zip(leaf_names(reference), tree_leaves(reference),
                                             strict=True)):
        parts = {name: leaves[name][i] for name in streams}
        if not (isinstance(out, torch.Tensor) and out.is_floating_point()) or \
                parts[BIAS] is None:
            continue
        sizes = {name: float(p.abs().sum()) for name, p in parts.items()}
        fractions[leaf_name] = sizes[BIAS] / sum(sizes.values()) if any(sizes.values()) else 0.0
        for m, name in enumerate(names):
            if nonzero_inputs[m] and sizes[name] == 0:
                warnings.append(DecompositionWarning(
                    ZERO_STREAM, f"the {name} stream of output '{leaf_name}' is exactly zero "
                    f"although the {name} input is not", name, leaf_name))
    return fractions, warnings
