"""The default sensor rig and its plain-dict form for ``config/calibration.yaml``.

Four cameras (front, left, right, rear; ~100° horizontal field of view each, together 360°)
look out level from roof height. The LiDAR spins on the roof. The radar is a 360° unit at
bumper height: it stands for a ring of corner radars already merged into one cloud.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lmd_ros.sensors import CameraCalibration, Rig, SensorCalibration

CAMERA_MOUNTS: tuple[tuple[str, float, tuple[float, float, float]], ...] = (
    ("front", 0.0, (2.0, 0.0, 1.5)),
    ("left", 90.0, (1.0, 0.9, 1.5)),
    ("right", -90.0, (1.0, -0.9, 1.5)),
    ("rear", 180.0, (-0.5, 0.0, 1.5)),
)
"""Camera name, yaw in ego (degrees, counter-clockwise from forward) and position in ego."""

LIDAR_POSITION = (1.2, 0.0, 1.9)
RADAR_POSITION = (1.0, 0.0, 0.5)


def pose(rotation: np.ndarray, translation: tuple[float, float, float]) -> np.ndarray:
    """A 4x4 homogeneous transform from a rotation matrix and a translation."""
    T = np.eye(4)
    T[:3, :3] = rotation
    T[:3, 3] = translation
    return T


def optical_to_ego_rotation(yaw: float) -> np.ndarray:
    """Rotation taking a level optical frame (x right, y down, z forward) looking at ``yaw``."""
    c, s = math.cos(yaw), math.sin(yaw)
    right, down, forward = (s, -c, 0.0), (0.0, 0.0, -1.0), (c, s, 0.0)
    return np.array([right, down, forward]).T


def default_rig(height: int = 96, width: int = 160, hfov_deg: float = 100.0) -> Rig:
    """The rig the world renders and the reference model is trained on."""
    focal = (width / 2) / math.tan(math.radians(hfov_deg) / 2)
    K = np.array([[focal, 0.0, width / 2], [0.0, focal, height / 2], [0.0, 0.0, 1.0]])
    cameras = tuple(
        CameraCalibration(
            name=name,
            width=width,
            height=height,
            K=K.copy(),
            T_ego_camera=pose(optical_to_ego_rotation(math.radians(yaw_deg)), position),
        )
        for name, yaw_deg, position in CAMERA_MOUNTS
    )
    return Rig(
        cameras=cameras,
        lidar=SensorCalibration("lidar", pose(np.eye(3), LIDAR_POSITION)),
        radar=SensorCalibration("radar", pose(np.eye(3), RADAR_POSITION)),
    )


def rig_to_dict(rig: Rig) -> dict[str, Any]:
    """The rig as nested dicts, lists and floats, safe for ``yaml.safe_dump``."""
    return {
        "cameras": [
            {
                "name": cam.name,
                "width": cam.width,
                "height": cam.height,
                "K": np.asarray(cam.K, dtype=float).tolist(),
                "T_ego_camera": np.asarray(cam.T_ego_camera, dtype=float).tolist(),
            }
            for cam in rig.cameras
        ],
        "lidar": _range_sensor_to_dict(rig.lidar),
        "radar": _range_sensor_to_dict(rig.radar),
    }


def rig_from_dict(d: dict[str, Any]) -> Rig:
    """Inverse of :func:`rig_to_dict` (exact: floats survive the round trip bit for bit)."""
    cameras = tuple(
        CameraCalibration(
            name=str(cam["name"]),
            width=int(cam["width"]),
            height=int(cam["height"]),
            K=np.array(cam["K"], dtype=float),
            T_ego_camera=np.array(cam["T_ego_camera"], dtype=float),
        )
        for cam in d["cameras"]
    )
    return Rig(
        cameras=cameras,
        lidar=_range_sensor_from_dict(d["lidar"]),
        radar=_range_sensor_from_dict(d["radar"]),
    )


def _range_sensor_to_dict(sensor: SensorCalibration) -> dict[str, Any]:
    return {"name": sensor.name, "T_ego_sensor": np.asarray(sensor.T_ego_sensor, float).tolist()}


def _range_sensor_from_dict(d: dict[str, Any]) -> SensorCalibration:
    return SensorCalibration(str(d["name"]), np.array(d["T_ego_sensor"], dtype=float))
