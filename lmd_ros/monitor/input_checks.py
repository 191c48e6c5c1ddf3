"""What the model is fed, checked against what it expects: fields present, values in range.

A cloud that lacks a field the model reads (read as 0) or whose values lie far outside the
model's training range (intensity 0–255 for a model trained on 0–1) would move the shares
without any error. Each such finding becomes one WARN note on ``/diagnostics`` per source and
field, with the observed range, raised once and kept (`notes`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from lmd_ros.sensors import LIDAR_FIELDS, RADAR_FIELDS

COLUMNS = {"lidar": LIDAR_FIELDS, "radar": RADAR_FIELDS}
PARAMETERS = {"lidar.intensity": "lidar_intensity", "radar.rcs": "radar_rcs",
              "radar.v_radial": "radar_velocity"}
"""The settings behind each optional column: ``<name>_fields`` and ``<name>_scale``."""
OUTSIDE_MARGIN = 0.5
"""A value is "far outside" [lo, hi] beyond half the range's width on either side."""


class InputChecks:
    """Notes per (source, field); ``field_ranges`` maps ``"lidar.intensity"`` → (lo, hi)."""

    def __init__(self, field_ranges: Mapping[str, tuple[float, float]]) -> None:
        self.field_ranges = dict(field_ranges)
        self.notes: dict[tuple[str, str], str] = {}

    def cloud(self, source: str, missing: Sequence[str], points: np.ndarray) -> None:
        kind = source.split("/", 1)[0]
        for name in missing:
            self.notes.setdefault((source, name), f"no field for {name}: read as 0 (add its "
                                                  f"name to {PARAMETERS[f'{kind}.{name}']}_fields)")
        for column, name in enumerate(COLUMNS[kind]):
            key = (source, name)
            bounds = self.field_ranges.get(f"{kind}.{name}")
            if bounds is None or key in self.notes or name in missing or not len(points):
                continue
            values = points[:, column]
            lo, hi = bounds
            margin = OUTSIDE_MARGIN * (hi - lo)
            observed = (float(values.min()), float(values.max()))
            if observed[0] < lo - margin or observed[1] > hi + margin:
                self.notes[key] = (f"{name} observed in [{observed[0]:.3g}, {observed[1]:.3g}], "
                                   f"the model expects [{lo:g}, {hi:g}] (check "
                                   f"{PARAMETERS[f'{kind}.{name}']}_scale)")
