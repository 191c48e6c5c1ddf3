"""Sensor faults: what can go wrong, when, how badly, and the ``kind[camera]@start:end[:severity]``
strings that name them on a command line or in a launch file."""

from __future__ import annotations

import re
from dataclasses import dataclass

FAULT_KINDS: tuple[str, ...] = (
    "camera_blackout",
    "camera_glare",
    "camera_fog",
    "camera_blur",
    "camera_frozen",
    "camera_silent",
    "camera_misaligned",
    "lidar_dropout",
    "lidar_range_limit",
    "lidar_noise",
    "lidar_silent",
    "lidar_misaligned",
    "radar_dropout",
    "radar_ghosts",
    "radar_silent",
    "radar_misaligned",
    "fog",
)
"""Every fault the world can inject. ``fog`` is weather: camera contrast and LiDAR range at once.
``*_misaligned``: the sensor was knocked out of its calibrated mounting; its data comes from
the moved sensor (`effects.knocked_pose`) while the rig, the calibration a monitor uses, stays."""

_PATTERN = re.compile(
    r"^(?P<kind>[a-z_]+)(?:\[(?P<target>[A-Za-z0-9_]+)\])?"
    r"@(?P<start>[0-9.eE+-]+):(?P<end>[0-9.eE+-]+)(?::(?P<severity>[0-9.eE+-]+))?$"
)


@dataclass(frozen=True)
class Fault:
    """One fault, active for stamps in [start_s, end_s).

    ``severity`` in (0, 1] scales the kinds that have a degree (fraction dropped, fog
    density, blur width, misalignment, ...); frozen and silent faults are all-or-nothing.
    ``target`` names a single camera for ``camera_*`` kinds; None means every camera.
    """

    kind: str
    start_s: float
    end_s: float
    severity: float = 1.0
    target: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(
                f"unknown fault kind {self.kind!r}; valid kinds: {', '.join(FAULT_KINDS)}"
            )
        if not 0 <= self.start_s < self.end_s:
            raise ValueError(
                f"fault window must satisfy 0 <= start < end, got {self.start_s}:{self.end_s}"
            )
        if not 0 < self.severity <= 1:
            raise ValueError(f"fault severity must be in (0, 1], got {self.severity}")
        if self.target is not None and not self.kind.startswith("camera_"):
            raise ValueError(f"only camera_* faults take a [camera] target, not {self.kind!r}")

    def active(self, stamp: float) -> bool:
        return self.start_s <= stamp < self.end_s

    def hits_camera(self, camera: str) -> bool:
        return self.target is None or self.target == camera


def parse_fault(text: str) -> Fault:
    """Parse ``kind[camera]@start:end[:severity]``, e.g. ``camera_blackout[front]@5:8`` or
    ``lidar_dropout@10:20:0.5`` (times in seconds of the drive; severity defaults to 1)."""
    match = _PATTERN.match(text.strip())
    if match is None:
        raise ValueError(
            f"bad fault {text!r}; expected kind[camera]@start:end[:severity] "
            f"with kind one of: {', '.join(FAULT_KINDS)}"
        )
    try:
        start, end = float(match["start"]), float(match["end"])
        severity = 1.0 if match["severity"] is None else float(match["severity"])
    except ValueError as error:
        raise ValueError(f"bad number in fault {text!r}: {error}") from None
    return Fault(match["kind"], start, end, severity, match["target"])
