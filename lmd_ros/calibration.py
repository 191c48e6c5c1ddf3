"""Calibration files: the rig (intrinsics, extrinsics) as YAML, for the node and the tools.

An empty path means the shipped default rig, which is also what `config/calibration.yaml`
holds, so a node without a calibration file and one given the shipped file agree.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from lmd_ros.sensors import Rig
from lmd_ros.world import default_rig, rig_from_dict, rig_to_dict


def load_rig(path: str | Path | None = None) -> Rig:
    """The rig in ``path`` (YAML), or the default rig when ``path`` is empty or None."""
    if not path:
        return default_rig()
    try:
        return rig_from_dict(yaml.safe_load(Path(path).read_text()))
    except (KeyError, TypeError, ValueError, yaml.YAMLError) as error:
        raise ValueError(f"calibration file {path} is not a valid rig: {error!r}") from error


def save_rig(rig: Rig, path: str | Path) -> None:
    text = "# Sensor calibration: intrinsics K and poses T_ego_* (4x4, sensor -> ego).\n"
    body = yaml.safe_dump(rig_to_dict(rig), sort_keys=False, default_flow_style=None)
    Path(path).write_text(text + body)
