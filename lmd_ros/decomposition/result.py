"""What a decomposition hands back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BIAS = "bias"
"""The name of the bias stream in ``Decomposition.streams``."""
ZERO_STREAM = "zero_stream"
"""A modality's stream of an output is exactly zero although its input was not."""
RANDOM_OP = "random_op"
"""A random op ran inside the decomposed region."""


@dataclass(frozen=True)
class DecompositionWarning:
    """Something a monitor should count: ``kind`` (``ZERO_STREAM`` or ``RANDOM_OP``), a
    sentence, and for a zero stream the modality and the output leaf."""

    kind: str
    message: str
    modality: str | None = None
    output: str | None = None


@dataclass(frozen=True)
class Decomposition:
    """A network's output split into one stream per modality plus a bias stream.

    ``reference``: what the model returned (any pytree of tensors). ``streams[name]``, for every
    modality name and ``"bias"``: the same structure, and the streams sum to ``reference``
    (floating-point leaves; other leaves are repeated as they are; leaves not selected by
    ``outputs=`` are None). ``layers[path]``: the same for the output of a captured module
    (``path#k`` for its k-th repeated call).

    ``bias_fraction[leaf]``: per decomposed floating output leaf (named by its keys joined with
    ".", ``"output"`` for a bare tensor), Σ|bias| / Σ_j Σ|stream_j| over its elements, in [0, 1]:
    how much of the output no modality explains. ``warnings``: ``DecompositionWarning``s, one per
    (modality, output leaf) whose stream is exactly zero although the modality's input was not
    (a dead sensor path, or data that bypassed the engine), and one per kind of random op drawn.
    """

    reference: Any
    streams: dict[str, Any]
    layers: dict[str, Decomposition] = field(default_factory=dict)
    bias_fraction: dict[str, float] = field(default_factory=dict)
    warnings: list[DecompositionWarning] = field(default_factory=list)

    @property
    def zero_streams(self) -> list[DecompositionWarning]:
        """The warnings of kind ``ZERO_STREAM``."""
        return [w for w in self.warnings if w.kind == ZERO_STREAM]
