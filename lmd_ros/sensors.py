"""The ROS-free vocabulary every room of the package speaks: calibration and one set of sensor data.

Frames: the ego frame is x forward, y left, z up (REP 103), origin on the ground under the rear
axle. A camera frame is the optical frame (x right, y down, z forward, REP 103 ``_optical``).
Point clouds arrive in their sensor's own frame; ``T_ego_sensor`` maps them into the ego frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MODALITIES: tuple[str, ...] = ("camera", "radar", "lidar")
"""The reference model's modalities, in the order used for its tensors, tables and messages."""

SENSOR_KINDS: tuple[str, ...] = ("camera", "radar", "lidar")
"""The kinds of sensor a `SensorFrame` carries; an adapter says which kinds feed each of its
modalities (any names)."""

LIDAR_FIELDS: tuple[str, ...] = ("x", "y", "z", "intensity")
RADAR_FIELDS: tuple[str, ...] = ("x", "y", "z", "rcs", "v_radial")


@dataclass(frozen=True)
class CameraCalibration:
    """A pinhole camera: intrinsics ``K`` (3x3, for ``width`` x ``height`` images) and the pose of
    its optical frame in ego. ``frame_id``: the ``header.frame_id`` its images carry."""

    name: str
    width: int
    height: int
    K: np.ndarray
    T_ego_camera: np.ndarray
    frame_id: str = ""

    def __post_init__(self) -> None:
        if not self.frame_id:
            object.__setattr__(self, "frame_id", f"camera_{self.name}_optical")


@dataclass(frozen=True)
class SensorCalibration:
    """A range sensor (LiDAR or radar): its pose in ego and the frame id its clouds carry."""

    name: str
    T_ego_sensor: np.ndarray
    frame_id: str = ""

    def __post_init__(self) -> None:
        if not self.frame_id:
            object.__setattr__(self, "frame_id", self.name)


@dataclass(frozen=True)
class Rig:
    """The vehicle's sensor set: any cameras, and one or more LiDARs and radars.

    Clouds of several sensors of one kind reach a model merged into the frame of the kind's
    first sensor (``rig.lidar``, ``rig.radar``), so a model sees one cloud per kind.
    """

    cameras: tuple[CameraCalibration, ...]
    lidars: tuple[SensorCalibration, ...]
    radars: tuple[SensorCalibration, ...]
    ego_frame: str = "base_link"

    def camera(self, name: str) -> CameraCalibration:
        for cam in self.cameras:
            if cam.name == name:
                return cam
        raise KeyError(f"rig has no camera {name!r}; cameras: {[c.name for c in self.cameras]}")

    def range_sensors(self, kind: str) -> tuple[SensorCalibration, ...]:
        """The LiDARs (``kind == "lidar"``) or radars."""
        return {"lidar": self.lidars, "radar": self.radars}[kind]

    def range_sensor(self, kind: str, name: str) -> SensorCalibration:
        for sensor in self.range_sensors(kind):
            if sensor.name == name:
                return sensor
        raise KeyError(f"rig has no {kind} {name!r}; "
                       f"{kind}s: {[s.name for s in self.range_sensors(kind)]}")

    @property
    def lidar(self) -> SensorCalibration:
        """The first LiDAR: the frame of the (merged) LiDAR cloud of a `SensorFrame`."""
        return self.lidars[0]

    @property
    def radar(self) -> SensorCalibration:
        """The first radar: the frame of the (merged) radar cloud of a `SensorFrame`."""
        return self.radars[0]


@dataclass
class SensorFrame:
    """One synchronised set of sensor data. A missing entry means that sensor is absent/silent.

    ``images``: camera name -> H x W x 3 uint8 RGB.
    ``lidar``: (N, 4) float32 ``LIDAR_FIELDS`` in the frame of ``rig.lidar``.
    ``radar``: (N, 5) float32 ``RADAR_FIELDS`` in the frame of ``rig.radar``.
    """

    stamp: float
    images: dict[str, np.ndarray] = field(default_factory=dict)
    lidar: np.ndarray | None = None
    radar: np.ndarray | None = None

    def present(self) -> dict[str, bool]:
        """Which sensor kinds (`SENSOR_KINDS`) carry data in this frame."""
        return {
            "camera": bool(self.images),
            "radar": self.radar is not None,
            "lidar": self.lidar is not None,
        }


@dataclass
class GroundTruth:
    """Objects in the ego frame at one instant.

    ``boxes``: (K, 7) float x, y, z (box centre), l, w, h, yaw. ``classes``: (K,) int index into
    the world's class names. ``velocities``: (K, 2) float vx, vy in ego.
    """

    boxes: np.ndarray
    classes: np.ndarray
    velocities: np.ndarray
