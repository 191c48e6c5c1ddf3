"""Building the monitor from its settings: rig, model, compatibility checks, device, core.

The node and the bag analysis construct their `MonitorCore` here, so a configuration the node
refuses is refused offline too, with the same message.
"""

from __future__ import annotations

import torch

from lmd_ros.calibration import load_rig
from lmd_ros.model.checkpoint import check_compatible, load_model
from lmd_ros.monitor.attribution import Attributor
from lmd_ros.monitor.core import MonitorCore
from lmd_ros.monitor.settings import InvalidSetting, MonitorSettings
from lmd_ros.sensors import Rig


def resolve_device(device: str) -> str:
    """``auto`` → CUDA when available, else CPU; refuse CUDA on a machine without it."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InvalidSetting("device", "CUDA is not available on this machine", device)
    return device


def build_core(settings: MonitorSettings) -> tuple[MonitorCore, Rig]:
    """The core for ``settings`` and the rig it runs with; raises InvalidSetting / ValueError."""
    torch.set_num_threads(settings.torch_threads)
    rig = load_rig(settings.calibration_file)
    model = load_model(settings.checkpoint or None)
    check_compatible(model.config, rig)
    if tuple(model.config.camera_names) != settings.camera_names and \
            "camera" in model.config.modalities:
        raise InvalidSetting("camera_names", f"the model expects {model.config.camera_names}",
                             settings.camera_names)
    attributor = Attributor(model, rig, resolve_device(settings.device),
                            settings.score_threshold, settings.max_detections)
    return MonitorCore(settings, attributor), rig
