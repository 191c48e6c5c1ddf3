"""Reading one scalar out of a model's output structure by its `OutputPath`."""

from __future__ import annotations

from typing import Any

import torch

from lmd_ros.adapters.protocol import OutputPath


def read_output(tree: Any, path: OutputPath) -> torch.Tensor:
    """Follow dict keys / sequence positions until a tensor, then index it with the rest."""
    node, rest = tree, tuple(path)
    while not isinstance(node, torch.Tensor):
        if not rest:
            raise KeyError(f"output path {path} ends before a tensor")
        node, rest = node[rest[0]], rest[1:]
    value = node[rest] if rest else node
    if value.numel() != 1:
        raise IndexError(f"output path {path} selects {tuple(value.shape)}, not one scalar")
    return value.reshape(())
