"""Building the monitor from its settings: rig, model adapter, compatibility checks, device, core.

The node and the bag analysis construct their `MonitorCore` here, so a configuration the node
refuses is refused offline too, with the same message.
"""

from __future__ import annotations

from pathlib import Path

import torch

from lmd_ros.adapters import AdapterError, ModelAdapter, load_adapter
from lmd_ros.calibration import load_rig
from lmd_ros.monitor.alarm_calibration import read_spreads
from lmd_ros.monitor.attribution import Attributor
from lmd_ros.monitor.core import MonitorCore, configured_sources, sensor_kind
from lmd_ros.monitor.rig_sources import RigSources
from lmd_ros.monitor.settings import InvalidSetting, MonitorSettings
from lmd_ros.sensors import Rig
from lmd_ros.world import default_rig


def resolve_device(device: str) -> str:
    """``auto`` → CUDA when available, else CPU; refuse CUDA on a machine without it."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InvalidSetting("device", "CUDA is not available on this machine", device)
    return device


def build_adapter(settings: MonitorSettings) -> ModelAdapter:
    """The configured model's adapter; a model that cannot be loaded is an invalid ``model``,
    or an invalid ``checkpoint`` when one is given and the factory failed on it (empty, random,
    truncated or foreign files; checkpoints load with weights_only=True, so a pickle payload
    is refused, never run)."""
    checkpoint = settings.checkpoint
    if checkpoint and not Path(checkpoint).is_file():
        raise InvalidSetting("checkpoint", "no such file" if not Path(checkpoint).exists()
                             else "not a regular file", checkpoint)
    try:
        return load_adapter(settings.model, checkpoint, settings.model_options,
                            resolve_device(settings.device))
    except AdapterError as error:
        name = "checkpoint" if checkpoint and "the factory raised" in str(error) else "model"
        text = " ".join(str(error).split())
        raise InvalidSetting(name, text if len(text) <= 300 else text[:299] + "…",
                             getattr(settings, name)) from None


def check_feeds(settings: MonitorSettings, adapter: ModelAdapter) -> None:
    """Every modality needs a configured sensor, and every configured sensor a modality."""
    configured = {sensor_kind(s) for s in configured_sources(settings)}
    used = {kind for m in adapter.modalities for kind in adapter.sensors[m]}
    unfed = [m for m in adapter.modalities if not configured & set(adapter.sensors[m])]
    unused = sorted(configured - used)
    if unfed or unused:
        raise InvalidSetting(
            "model", f"modalities and sensors do not match: the model's modalities are fed by "
            f"{dict(adapter.sensors)}, the configured sensors are {sorted(configured)}"
            + (f"; no topic for {unfed}" if unfed else "")
            + (f"; {unused} feed no modality (set their topics to '')" if unused else ""),
            settings.model)


def rig_sources(settings: MonitorSettings) -> RigSources:
    """Calibration per sensor: CameraInfo / ``/tf_static``, then the file (without one, the
    shipped default rig); see `RigSources`."""
    try:
        file_rig = load_rig(settings.calibration_file) if settings.calibration_file else None
    except ValueError as error:
        raise InvalidSetting("calibration_file", str(error), settings.calibration_file) from None
    return RigSources(settings.camera_names, settings.radar_names, settings.lidar_names,
                      settings.bev_frame, file_rig, None if file_rig else default_rig(),
                      settings.calibration_override)


def build_core(settings: MonitorSettings) -> MonitorCore:
    """The core for ``settings``; raises InvalidSetting / ValueError."""
    torch.set_num_threads(settings.torch_threads)
    sources = rig_sources(settings)
    adapter = build_adapter(settings)
    check_feeds(settings, adapter)
    if _complete(sources.rig, settings):  # else checked as live calibration completes it
        try:
            adapter.check_rig(sources.rig)
        except ValueError as error:
            raise InvalidSetting("calibration_file", str(error),
                                 settings.calibration_file) from None
    attributor = Attributor(adapter, settings.score_threshold, settings.max_detections)
    return MonitorCore(settings, attributor, sources, alarm_spreads(settings, adapter))


def alarm_spreads(settings: MonitorSettings, adapter: ModelAdapter) -> dict[str, float]:
    """The ``alarm_calibration`` file's spreads, else the model's own."""
    if not settings.alarm_calibration:
        return dict(adapter.alarm_spreads)
    try:
        return read_spreads(settings.alarm_calibration)
    except ValueError as error:
        raise InvalidSetting("alarm_calibration", str(error),
                             settings.alarm_calibration) from None


def _complete(rig: Rig, settings: MonitorSettings) -> bool:
    return (len(rig.cameras), len(rig.radars), len(rig.lidars)) == (
        len(settings.camera_names), len(settings.radar_names), len(settings.lidar_names))
