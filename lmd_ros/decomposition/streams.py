"""The streams of one tensor: one stacked tensor, so an op runs once on all of them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Streams:
    """``values[i]`` is stream ``ids[i]`` (modality index, or the bias index ``M``).

    Streams known to be zero are absent: a branch fed by one modality carries one row.
    ``support[i]``, where known: the channels ``[start, stop)`` (dim 1 of the tensor) outside
    which row i is zero, as after a fusion ``cat`` (``rules/blocks.py``); every other op drops it.
    """

    values: torch.Tensor
    ids: tuple[int, ...]
    support: tuple[tuple[int, int], ...] | None = None

    def aligned(self, ids: tuple[int, ...]) -> torch.Tensor:
        """The rows for ``ids`` (a superset of ``self.ids``, sorted), zero where absent."""
        if ids == self.ids:
            return self.values
        rows = self.values.new_zeros((len(ids), *self.values.shape[1:]))
        rows[[ids.index(i) for i in self.ids]] = self.values
        return rows

    def map(self, fn: Callable[[torch.Tensor], torch.Tensor]) -> Streams:
        """A map that is linear per stream, applied to all streams in one call."""
        return Streams(fn(self.values), self.ids)


def union(ids: Sequence[tuple[int, ...]]) -> tuple[int, ...]:
    return tuple(sorted(set().union(*ids)))


def total(streams: Sequence[Streams], scale: float = 1.0) -> Streams:
    """``scale`` times the stream-by-stream sum."""
    ids = union([s.ids for s in streams])
    return Streams(sum(s.aligned(ids) for s in streams) * scale, ids)
