"""Calibration files: the rig (intrinsics, extrinsics) as YAML, for the node and the tools.

An empty path means the shipped default rig, which is also what `config/calibration.yaml`
holds, so a node without a calibration file and one given the shipped file agree.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from lmd_ros.sensors import Rig
from lmd_ros.world import default_rig, rig_from_dict, rig_to_dict

RIGID_TOLERANCE = 1e-6
"""How far a pose's rotation may be from orthonormal (R Rᵀ = I, det R = +1)."""


def load_rig(path: str | Path | None = None) -> Rig:
    """The rig in ``path`` (YAML), or the default rig when ``path`` is empty or None.

    Raises ValueError for a file that cannot be read or is not a physically valid rig (see
    `check_rig`): a NaN intrinsic would publish NaN detections, a singular pose would raise on
    every frame; both are refused at start instead.
    """
    if not path:
        return default_rig()
    try:
        text = Path(path).read_text()
    except OSError as error:
        raise ValueError(f"calibration file {path} cannot be read: {error.strerror or error}") \
            from None
    try:
        rig = rig_from_dict(yaml.safe_load(text))
    except (KeyError, TypeError, ValueError, yaml.YAMLError) as error:
        raise ValueError(f"calibration file {path} is not a valid rig: {error!r}") from error
    problems = check_rig(rig)
    if problems:
        raise ValueError(f"calibration file {path} is not a valid rig: {'; '.join(problems)}")
    return rig


def check_rig(rig: Rig) -> list[str]:
    """What makes the rig unusable: intrinsics that are not finite with positive focal
    lengths and a [0, 0, 1] last row, poses that are not finite rigid 4x4 transforms."""
    problems = []
    for camera in rig.cameras:
        K = np.asarray(camera.K, float)
        where = f"camera {camera.name!r}"
        if camera.width < 1 or camera.height < 1:
            problems.append(f"{where}: size {camera.width} x {camera.height}")
        if K.shape != (3, 3) or not np.isfinite(K).all():
            problems.append(f"{where}: K must be a finite 3x3 matrix, got {K.tolist()}")
        elif K[0, 0] <= 0 or K[1, 1] <= 0 or not np.array_equal(K[2], [0, 0, 1]):
            problems.append(f"{where}: K needs fx, fy > 0 and a last row [0, 0, 1], "
                            f"got {K.tolist()}")
        problems += _pose_problems(where, camera.T_ego_camera)
    for sensor in (*rig.lidars, *rig.radars):
        problems += _pose_problems(f"sensor {sensor.name!r}", sensor.T_ego_sensor)
    return problems


def _pose_problems(where: str, pose: np.ndarray) -> list[str]:
    T = np.asarray(pose, float)
    if T.shape != (4, 4) or not np.isfinite(T).all():
        return [f"{where}: the pose must be a finite 4x4 matrix, got shape {T.shape}"]
    R = T[:3, :3]
    rigid = (np.allclose(R @ R.T, np.eye(3), atol=RIGID_TOLERANCE)
             and abs(np.linalg.det(R) - 1) < RIGID_TOLERANCE
             and np.array_equal(T[3], [0, 0, 0, 1]))
    return [] if rigid else [f"{where}: the pose is not rigid (rotation not orthonormal with "
                             f"det +1, or last row not [0, 0, 0, 1])"]


def save_rig(rig: Rig, path: str | Path) -> None:
    text = "# Sensor calibration: intrinsics K and poses T_ego_* (4x4, sensor -> ego).\n"
    body = yaml.safe_dump(rig_to_dict(rig), sort_keys=False, default_flow_style=None)
    Path(path).write_text(text + body)
