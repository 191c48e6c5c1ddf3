"""How much of a detection each modality carries: its share of the attributed evidence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import numpy as np

Value = TypeVar("Value", float, np.ndarray)


def modality_shares(contributions: Mapping[str, Value]) -> dict[str, Value]:
    """s_m = |c_m| / Σ_k |c_k| per detection; all shares are 0 where every |c_k| is 0.

    ``contributions`` maps each modality to its contribution, a float or one value per
    detection (arrays broadcast). Pass modality terms only: the decomposition's bias belongs to
    no sensor, so it must not dilute the shares. Magnitudes are used because a modality that
    pushes a score down still carries the prediction. A non-finite contribution gives NaN
    rather than a plausible-looking share that would hide a broken decomposition. Returns
    floats for scalar input, float64 arrays otherwise.
    """
    magnitudes = {
        name: np.abs(np.asarray(value, dtype=np.float64)) for name, value in contributions.items()
    }
    total = sum(magnitudes.values(), np.float64(0.0))
    shares = {}
    for name, magnitude in magnitudes.items():
        share = np.zeros(np.broadcast(magnitude, total).shape)
        with np.errstate(invalid="ignore"):  # inf / inf: NaN on purpose, see above
            np.divide(magnitude, total, out=share, where=total != 0)
        shares[name] = float(share) if share.ndim == 0 else share
    return shares
