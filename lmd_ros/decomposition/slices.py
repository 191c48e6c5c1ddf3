"""``Slice``: part of one input tensor as a modality, for fusion points inside one tensor.

SimpleBEV concatenates camera and radar BEV features in its own ``forward`` and hands one tensor
to ``bev_compressor``. With ``{"camera": Slice(0, 0, 128), "radar": Slice(0, 128, 144)}`` and
``start_at="bev_compressor"`` the decomposition starts there: each part's stream is the input
inside its slice and zero outside it. What no slice covers is a constant (the bias stream).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Slice:
    """``selector``'s tensor (an index or name, as in ``modalities``), ``[start:stop]`` along
    ``dim``."""

    selector: int | str
    start: int
    stop: int
    dim: int = 1

    def part(self, tensor: torch.Tensor) -> torch.Tensor:
        """``tensor`` inside the slice, zero outside it."""
        if not -tensor.dim() <= self.dim < tensor.dim():
            raise ValueError(f"{self} slices dim {self.dim} of a {tensor.dim()}-d tensor")
        size = tensor.size(self.dim)
        if not 0 <= self.start < self.stop <= size:
            raise ValueError(f"{self} does not lie within dim {self.dim} of size {size}")
        part = torch.zeros_like(tensor)
        part.narrow(self.dim, self.start, self.stop - self.start).copy_(
            tensor.narrow(self.dim, self.start, self.stop - self.start))
        return part

    def overlaps(self, other: Slice) -> bool:
        return self.dim == other.dim and self.start < other.stop and other.start < self.stop
