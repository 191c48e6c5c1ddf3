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


SIX_CAMERA_MOUNTS: tuple[tuple[str, float, tuple[float, float, float]], ...] = (
    ("front", 0.0, (1.7, 0.0, 1.5)),
    ("front_left", 55.0, (1.5, 0.5, 1.5)),
    ("front_right", -55.0, (1.5, -0.5, 1.5)),
    ("back_left", 110.0, (1.0, 0.5, 1.5)),
    ("back_right", -110.0, (1.0, -0.5, 1.5)),
    ("back", 180.0, (0.0, 0.0, 1.5)),
)
"""A nuScenes-style ring: five ~70° cameras and a wider one looking back."""


def default_rig(height: int = 96, width: int = 160, hfov_deg: float = 100.0) -> Rig:
    """The rig the world renders and the reference model is trained on."""
    return camera_rig(CAMERA_MOUNTS, height, width, hfov_deg)


def six_camera_rig(height: int = 180, width: int = 320, hfov_deg: float = 70.0) -> Rig:
    """A six-camera 16:9 layout in the style of a 1600 x 900 nuScenes rig (smaller images, so
    the world renders it at a usable rate; the field of view is what matters to the model)."""
    return camera_rig(SIX_CAMERA_MOUNTS, height, width, hfov_deg)


def front_camera_rig(height: int = 152, width: int = 242, hfov_deg: float = 64.0) -> Rig:
    """One front camera of 1936 x 1216 proportions (View-of-Delft style), LiDAR and radar."""
    return camera_rig(CAMERA_MOUNTS[:1], height, width, hfov_deg)


def camera_rig(mounts: tuple[tuple[str, float, tuple[float, float, float]], ...], height: int,
               width: int, hfov_deg: float) -> Rig:
    """Level pinhole cameras at ``mounts`` (name, yaw °, position), the roof LiDAR, the radar."""
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
        for name, yaw_deg, position in mounts
    )
    return Rig(
        cameras=cameras,
        lidars=(SensorCalibration("lidar", pose(np.eye(3), LIDAR_POSITION)),),
        radars=(SensorCalibration("radar", pose(np.eye(3), RADAR_POSITION)),),
    )


def rig_to_dict(rig: Rig) -> dict[str, Any]:
    """The rig as nested dicts, lists and floats, safe for ``yaml.safe_dump``."""
    return {
        "ego_frame": rig.ego_frame,
        "cameras": [
            {
                "name": cam.name,
                "frame_id": cam.frame_id,
                "width": cam.width,
                "height": cam.height,
                "K": np.asarray(cam.K, dtype=float).tolist(),
                "T_ego_camera": np.asarray(cam.T_ego_camera, dtype=float).tolist(),
            }
            for cam in rig.cameras
        ],
        "lidars": [_range_sensor_to_dict(s) for s in rig.lidars],
        "radars": [_range_sensor_to_dict(s) for s in rig.radars],
    }


def rig_from_dict(d: dict[str, Any]) -> Rig:
    """Inverse of :func:`rig_to_dict` (exact: floats survive the round trip bit for bit).

    Also reads the one-sensor form ``lidar: {...}`` / ``radar: {...}``; ``frame_id`` and
    ``ego_frame`` are optional (defaults: ``camera_<name>_optical``, the sensor's name,
    ``base_link``).
    """
    cameras = tuple(
        CameraCalibration(
            name=str(cam["name"]),
            width=int(cam["width"]),
            height=int(cam["height"]),
            K=np.array(cam["K"], dtype=float),
            T_ego_camera=np.array(cam["T_ego_camera"], dtype=float),
            frame_id=str(cam.get("frame_id", "")),
        )
        for cam in d.get("cameras") or ()
    )
    return Rig(
        cameras=cameras,
        lidars=_range_sensors_from_dict(d, "lidar"),
        radars=_range_sensors_from_dict(d, "radar"),
        ego_frame=str(d.get("ego_frame", "base_link")),
    )


def _range_sensor_to_dict(sensor: SensorCalibration) -> dict[str, Any]:
    return {"name": sensor.name, "frame_id": sensor.frame_id,
            "T_ego_sensor": np.asarray(sensor.T_ego_sensor, float).tolist()}


def _range_sensors_from_dict(d: dict[str, Any], kind: str) -> tuple[SensorCalibration, ...]:
    entries = d.get(f"{kind}s") or ([d[kind]] if kind in d else [])
    return tuple(SensorCalibration(str(e["name"]), np.array(e["T_ego_sensor"], dtype=float),
                                   str(e.get("frame_id", ""))) for e in entries)
