"""What a decomposition hands back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Decomposition:
    """A network's output split into one stream per modality plus a bias stream.

    ``reference``: what the model returned (any pytree of tensors). ``streams[name]``, for every
    modality name and ``"bias"``: the same structure, and the streams sum to ``reference``
    (floating-point leaves; other leaves are repeated as they are). ``layers[path]``: the same
    for the output of a captured module (``path#k`` for its k-th repeated call).
    """

    reference: Any
    streams: dict[str, Any]
    layers: dict[str, Decomposition] = field(default_factory=dict)
