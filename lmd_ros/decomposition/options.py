"""How the offsets of normalization layers are shared among the streams (the method's variants)."""

from __future__ import annotations

from dataclasses import dataclass

BN_RULES = ("identity", "uniform")
NORM_RULES = ("ratio", "identity", "uniform")


@dataclass(frozen=True)
class RuleOptions:
    """``bn``: BatchNorm's shift t all to the bias (identity) or t/(M+1) to every stream (uniform).

    ``norm`` (LayerNorm / InstanceNorm / GroupNorm): every stream centred by its own mean (ratio),
    the reference mean all to the bias (identity), or shared evenly by all streams (uniform).
    Defaults are the paper's best pair.
    """

    bn: str = "identity"
    norm: str = "ratio"

    def __post_init__(self) -> None:
        if self.bn not in BN_RULES:
            raise ValueError(f"bn_rule must be one of {BN_RULES}, got {self.bn!r}")
        if self.norm not in NORM_RULES:
            raise ValueError(f"norm_rule must be one of {NORM_RULES}, got {self.norm!r}")
