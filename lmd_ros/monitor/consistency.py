"""Cross-modal consistency of the evidence maps: does each modality see the scene the others see?

Two faults leave every rate, share and range check content: a frozen camera (it repeats one
image) and a decalibrated sensor (a yaw error of a few degrees in its extrinsics). Both show on
the per-modality BEV evidence (`FrameAttribution.evidence`, (M, X, Y) on the adapter's
`BEVGrid`): the frozen modality's evidence stops following the scene, the decalibrated one's is
rotated against the others'. Per frame and modality m, with Ê_k the positive part of modality
k's map scaled to unit L2 norm and R_m the mean of Ê_k over the other modalities:

- ``agreement`` (unitless, 0–1): cosine similarity of Ê_m and R_m. Empty road is zero in
  every map, so it adds nothing: the value is decided where some modality has evidence.
- ``yaw_offset_deg`` (degrees, counter-clockwise about the ego origin seen from above, i.e.
  from x forward towards y left): the rotation θ, searched in ±``max_yaw_deg``, for which R_m
  rotated by θ best matches Ê_m — how far m's map is turned against the others'. A sensor whose
  data appear turned by +θ (its true yaw is θ *less* than its calibration says) shows ≈ +θ,
  attenuated where the model's fusion pulls every modality's evidence towards the fused result
  (on the shipped model a 5° error reads ≈ 5.2° for the LiDAR, ≈ 3.9° for the radar, ≈ 3.3°
  for all four cameras). The others read a smaller offset of opposite sign (≈ −1.5°), as their
  reference holds the turned map: the faulty sensor is the one with the largest |offset|; with
  M = 2 the two read ±θ and cannot be told apart. A lateral shift of 0.3 m, under half a cell,
  shows on none of the signals. The search correlates the maps resampled on a polar grid (1°
  steps, area-weighted, so that it approximates the Cartesian correlation) by FFT along the
  angle; the best step is refined by a parabola through its neighbours. None where no rotation
  in the window makes the maps overlap.
- ``motion`` (unitless, −1–1): cosine similarity of m's change over the last ``motion_lag``
  frames, Ê_m(t) − Ê_m(t − lag), and the mean change of the others. Objects and the ego move,
  so healthy maps change alike (≈ 0.45–0.6 on the shipped model); a frozen camera's evidence
  changes only through the fusion's weighting, unrelated to the scene's motion (≈ 0.07). 0 when
  m's map did not change at all; None for the first ``motion_lag`` frames, when m or all the
  others had no map ``motion_lag`` frames ago, or when the others did not change (then nothing
  moved and motion says nothing). A misaligned modality's changes also miss the others', so
  low motion means "frozen" only while its yaw offset stays near 0. This beat the ratio of
  change magnitudes, whose clean level drifts with the scene and which separates a frozen
  camera less.

A modality gets no signals on a frame where its map, or every other modality's, is empty
(nothing positive) or not finite: there is nothing to compare, and a silent sensor is the
silence and share alarms' business. With a single modality ``update`` returns ``{}``.
The values are noisy per frame (clean spreads: agreement ≈ 0.09–0.11, yaw ≈ 0.5–0.7°,
motion ≈ 0.16); the alarms smooth them and calibrate their clean mean and spread. A frozen
camera shows only once the scene moves: with the ego and traffic standing still nothing changes.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lmd_ros.adapters.protocol import BEVGrid

MAX_YAW_DEG = 8.0
"""Widest yaw error searched: a few degrees of decalibration, with room to spare."""
ANGLE_STEP_DEG = 1.0
"""Angular bin of the polar grid (also the search step before refinement): at the grid's 24 m
edge 1° is 0.42 m, finer than a 0.75 m cell; finer bins did not separate better."""
MOTION_LAG = 5
"""Frames spanned by ``motion`` (0.5 s at 10 Hz). From one frame to the next the evidence's
noise outweighs the scene's motion (a radar unit map changes by ≈ 1.0 of its norm, a LiDAR one
by ≈ 0.7), so the clean level sank towards 0 on a slow drive; over five the motion dominates,
the clean level is steady across drives and a frozen camera stands ≈ 3.5 clean spreads lower
(≈ 1.4 over one frame). Longer lags gain little and delay the signal."""
MIN_OVERLAP = 1e-3
"""Below this cosine at every rotation in the window the maps show no common object (clean
frames of the shipped model stay above 0.1): the yaw offset is None, not the FFT's noise."""


@dataclass(frozen=True)
class ConsistencySignals:
    """One modality on one frame, against the others; see the module docstring."""

    agreement: float
    yaw_offset_deg: float | None
    motion: float | None

    def labelled(self) -> dict[str, float]:
        """The signals there are, under the labels the alarms name them by."""
        values = {"agreement": self.agreement, "yaw offset": self.yaw_offset_deg,
                  "motion": self.motion}
        return {label: value for label, value in values.items() if value is not None}


class EvidenceConsistency:
    """Consistency signals per frame; remembers the last ``motion_lag`` frames' maps."""

    def __init__(self, modalities: Sequence[str], grid: BEVGrid,
                 max_yaw_deg: float = MAX_YAW_DEG, motion_lag: int = MOTION_LAG) -> None:
        if motion_lag < 1:
            raise ValueError(f"motion_lag must be >= 1, got {motion_lag}")
        self.modalities = tuple(modalities)
        self.grid = grid
        self._shifts = np.arange(-math.floor(max_yaw_deg / ANGLE_STEP_DEG),
                                 math.floor(max_yaw_deg / ANGLE_STEP_DEG) + 1)
        self._polar_cells, self._polar_weights = polar_sampling(grid, ANGLE_STEP_DEG)
        self._history: deque[tuple[np.ndarray, np.ndarray]] = deque(maxlen=motion_lag)

    def update(self, evidence: np.ndarray) -> dict[str, ConsistencySignals]:
        """Signals of the frame whose (M, X, Y) ``evidence`` this is, per modality."""
        evidence = np.asarray(evidence, np.float64)
        expected = (len(self.modalities), *self.grid.shape)
        if evidence.shape != expected:
            raise ValueError(f"evidence has shape {evidence.shape}, expected {expected}")
        if len(self.modalities) < 2:
            return {}
        unit, usable = unit_maps(evidence.reshape(len(self.modalities), -1))
        polar = self._polar(unit)
        spectra = np.fft.rfft(polar, axis=-1)
        past = self._history[0] if len(self._history) == self._history.maxlen else None
        self._history.append((unit, usable))
        signals = {}
        for m, modality in enumerate(self.modalities):
            others = usable & (np.arange(len(usable)) != m)
            if not usable[m] or not others.any():
                continue
            reference = unit[others].mean(axis=0)
            signals[modality] = ConsistencySignals(
                agreement=float(unit[m] @ reference / np.linalg.norm(reference)),
                yaw_offset_deg=self._yaw_offset(
                    spectra[m], spectra[others].mean(axis=0),
                    np.linalg.norm(polar[m]) * np.linalg.norm(polar[others].mean(axis=0))),
                motion=None if past is None else motion(m, unit, usable, *past),
            )
        return signals

    def _polar(self, unit: np.ndarray) -> np.ndarray:
        """(M, cells) maps → (M, radii, angles), bilinear, each sample weighted by √(its area)."""
        return (np.take(unit, self._polar_cells, axis=1) * self._polar_weights).sum(axis=1)

    def _yaw_offset(self, spectrum: np.ndarray, reference: np.ndarray,
                    norms: float) -> float | None:
        """The rotation (°) of the reference that best matches the map, from their polar
        spectra; ``norms``: the product of the polar maps' norms (cosine = correlation / it)."""
        correlation = np.fft.irfft((np.conj(reference) * spectrum).sum(axis=0),
                                   n=self._polar_cells.shape[-1])
        window = correlation[self._shifts]
        if not window.max() > MIN_OVERLAP * norms:
            return None
        best = self._shifts[int(np.argmax(window))]
        before, peak, after = correlation[[best - 1, best, best + 1]]
        curvature = before - 2 * peak + after
        refinement = 0.5 * (before - after) / curvature if curvature < 0 else 0.0
        return float((best + refinement) * ANGLE_STEP_DEG)


def unit_maps(maps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positive parts of (M, cells) maps scaled to unit L2 norm, and which maps are usable
    (finite, not empty); an unusable map is all zeros."""
    positive = np.clip(maps, 0.0, None)
    usable = np.isfinite(positive).all(axis=1)
    positive[~usable] = 0.0
    norms = np.linalg.norm(positive, axis=1)
    usable &= norms > 0
    unit = np.zeros_like(positive)
    unit[usable] = positive[usable] / norms[usable, None]
    return unit, usable


def motion(m: int, unit: np.ndarray, usable: np.ndarray, past_unit: np.ndarray,
           past_usable: np.ndarray) -> float | None:
    """Cosine of modality m's change since the past maps and the others' mean change."""
    changed = usable & past_usable
    others = changed & (np.arange(len(changed)) != m)
    if not changed[m] or not others.any():
        return None
    change = unit - past_unit
    reference = change[others].mean(axis=0)
    reference_norm, own_norm = np.linalg.norm(reference), np.linalg.norm(change[m])
    if reference_norm == 0:
        return None
    return 0.0 if own_norm == 0 else float(change[m] @ reference / (own_norm * reference_norm))


def polar_sampling(grid: BEVGrid, step_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Bilinear sampling of a flattened ``grid`` map on circles around the ego origin.

    Radii are one cell apart out to the farthest grid corner, angles ``step_deg`` apart over the
    full turn (counter-clockwise from x). Returns (4, radii, angles) flat cell indices and
    weights; a corner outside the grid has weight 0. Weights carry √r, so the product of two
    sampled maps, summed, approximates their Cartesian inner product (a polar sample stands for
    an area ∝ r).
    """
    rows, cols = grid.shape
    reach = math.hypot(max(abs(v) for v in grid.x_range), max(abs(v) for v in grid.y_range))
    radii = (np.arange(math.ceil(reach / grid.resolution)) + 0.5) * grid.resolution
    angles = np.deg2rad(np.arange(0.0, 360.0, step_deg))
    row = (radii[:, None] * np.cos(angles) - grid.x_range[0]) / grid.resolution - 0.5
    col = (radii[:, None] * np.sin(angles) - grid.y_range[0]) / grid.resolution - 0.5
    cells, weights = [], []
    for corner_row in (np.floor(row), np.floor(row) + 1):
        for corner_col in (np.floor(col), np.floor(col) + 1):
            inside = (corner_row >= 0) & (corner_row < rows) & (corner_col >= 0) & \
                (corner_col < cols)
            weight = (1 - np.abs(row - corner_row)) * (1 - np.abs(col - corner_col))
            cells.append(np.where(inside, corner_row * cols + corner_col, 0).astype(np.intp))
            weights.append(np.where(inside, weight, 0.0) * np.sqrt(radii)[:, None])
    return np.stack(cells), np.stack(weights)
