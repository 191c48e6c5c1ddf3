"""The monitor's settings: one validated description shared by the ROS node and the bag analysis.

`config/monitor.yaml` is a ROS parameter file; `MonitorSettings.from_parameters` reads its
``ros__parameters`` mapping (or the node's declared parameters), so the live node and the offline
analysis can never disagree on topics, thresholds or calibration.
"""

from __future__ import annotations

import array
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

NODE_NAME = "lmd_monitor"


class InvalidSetting(ValueError):
    """A parameter value the monitor cannot run with; the message names the parameter."""

    def __init__(self, name: str, reason: str, value: Any) -> None:
        super().__init__(f"parameter '{name}': {reason} (got {value!r})")
        self.name = name


@dataclass(frozen=True)
class MonitorSettings:
    """Every knob of the monitor, with the reason it exists in ``DESCRIPTIONS``."""

    camera_topics: tuple[str, ...] = (
        "/camera/front/image_raw",
        "/camera/left/image_raw",
        "/camera/right/image_raw",
        "/camera/rear/image_raw",
    )
    camera_names: tuple[str, ...] = ("front", "left", "right", "rear")
    camera_info_topics: tuple[str, ...] = ()
    radar_topics: tuple[str, ...] = ("/radar/points",)
    radar_names: tuple[str, ...] = ("radar",)
    lidar_topics: tuple[str, ...] = ("/lidar/points",)
    lidar_names: tuple[str, ...] = ("lidar",)
    radar_rcs_fields: tuple[str, ...] = ("rcs", "RCS", "radar_cross_section")
    radar_velocity_fields: tuple[str, ...] = ("v_radial", "v_r", "vr", "radial_velocity",
                                              "doppler", "vrel")
    lidar_intensity_fields: tuple[str, ...] = ("intensity", "reflectance", "reflectivity", "i")
    radar_rcs_scale: float = 1.0
    radar_velocity_scale: float = 1.0
    lidar_intensity_scale: float = 1.0
    ego_crop: tuple[float, ...] = ()
    calibration_file: str = ""
    calibration_override: bool = False
    tf_static_topic: str = "/tf_static"
    model: str = ""
    checkpoint: str = ""
    model_options: str = ""
    device: str = "auto"
    torch_threads: int = 1
    qos_reliability: str = "best_effort"
    qos_depth: int = 5
    slop: float = 0.05
    stale_after: float = 0.5
    score_threshold: float = 0.3
    max_detections: int = 50
    bev_frame: str = "base_link"
    diagnostics_period: float = 1.0
    warn_z: float = 4.0
    error_z: float = 8.0
    corroborate_z: float = 1.0
    min_spread: float = 0.02
    alarm_calibration: str = ""
    hold_s: float = 1.0
    clear_s: float = 2.0
    silent_after_s: float = 1.0
    warmup_frames: int = 20
    baseline_camera: float = -1.0
    baseline_radar: float = -1.0
    baseline_lidar: float = -1.0
    publish_camera_overlay: bool = True
    max_image_pixels: int = 3840 * 2160

    def __post_init__(self) -> None:
        _validate(self)

    @classmethod
    def from_parameters(cls, values: Mapping[str, Any]) -> MonitorSettings:
        """Build from a parameter mapping; unknown names are an error, not silently ignored."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known - {"use_sim_time"})
        if unknown:
            raise InvalidSetting(unknown[0], f"unknown parameter; known: {sorted(known)}", None)
        defaults = cls()
        converted = {
            name: _typed(name, value, getattr(defaults, name))
            for name, value in values.items()
            if name in known
        }
        return cls(**converted)

    @classmethod
    def from_yaml(cls, path: str | Path, node_name: str = NODE_NAME) -> MonitorSettings:
        """Read a ROS parameter file (``<node>: {ros__parameters: {...}}``)."""
        document = yaml.safe_load(Path(path).read_text()) or {}
        for key in (node_name, f"/{node_name}", "/**"):
            if key in document:
                return cls.from_parameters(document[key].get("ros__parameters", {}))
        raise InvalidSetting("config", f"{path} has no section for node {node_name!r}", None)

    def baseline(self, modality: str) -> float | None:
        """Configured baseline share of a modality, or None to learn it over the warm-up (always,
        for a modality named other than camera, radar or lidar)."""
        value = getattr(self, f"baseline_{modality}", -1.0)
        return None if value < 0 else value


DESCRIPTIONS: dict[str, str] = {
    "camera_topics": "Camera topics (sensor_msgs/Image, or CompressedImage when ending in "
    "/compressed), one per camera_names entry",
    "camera_names": "Camera names as in the calibration (any number, any names)",
    "camera_info_topics": "sensor_msgs/CameraInfo per camera ('' = none); empty list = the "
    "camera_info beside each image topic (/camera/front/image_raw -> /camera/front/camera_info)",
    "radar_topics": "Radar sensor_msgs/PointCloud2 topics, one per radar_names entry; merged in "
    "the ego frame; empty = no radar",
    "radar_names": "Radar names as in the calibration, one per radar_topics entry",
    "lidar_topics": "LiDAR sensor_msgs/PointCloud2 topics, one per lidar_names entry; merged in "
    "the ego frame; empty = no LiDAR",
    "lidar_names": "LiDAR names as in the calibration, one per lidar_topics entry",
    "radar_rcs_fields": "PointCloud2 field names read as radar RCS, first present wins",
    "radar_velocity_fields": "PointCloud2 field names read as radial velocity, first present wins",
    "lidar_intensity_fields": "PointCloud2 field names read as LiDAR intensity, first present wins",
    "radar_rcs_scale": "Factor applied to RCS as read (e.g. to dBsm)",
    "radar_velocity_scale": "Factor applied to radial velocity as read (e.g. km/h -> m/s: 0.2778)",
    "lidar_intensity_scale": "Factor applied to intensity as read (e.g. 0-255 -> 0-1: 0.003922)",
    "ego_crop": "Ego-frame box [x_min, x_max, y_min, y_max, z_min, z_max] (m) whose LiDAR and "
    "radar points are dropped (the vehicle's own body); empty = none",
    "calibration_file": "Calibration YAML: the fallback for what CameraInfo and /tf_static do "
    "not give; empty = the shipped default rig for sensors of the same name",
    "calibration_override": "The calibration file wins over CameraInfo and /tf_static for the "
    "sensors it names",
    "tf_static_topic": "tf2_msgs/TFMessage topic of the static extrinsics ('' = none)",
    "model": "Fusion model adapter factory: package.module:factory or an installed "
    "lmd_ros.models entry point name; empty = the shipped reference model (runs that code)",
    "checkpoint": "Model checkpoint passed to the factory; empty = the model's default "
    "(the shipped three-modality checkpoint for the reference model)",
    "model_options": "Options for the model factory: a YAML file or an inline YAML mapping",
    "device": "Torch device: auto (CUDA if available), cpu, cuda or cuda:N",
    "torch_threads": "CPU threads for the model; the decomposition is bound by per-op dispatch, "
    "so 1 was fastest on 2 cores (more frames come from more processes, not threads)",
    "qos_reliability": "Sensor subscription reliability: best_effort (sensor-data) or reliable",
    "qos_depth": "Sensor subscription queue depth",
    "slop": "Max header-stamp difference (s) within one synchronised set",
    "stale_after": "A sensor silent this long (s) is left out of sets until it returns",
    "score_threshold": "Detection score threshold",
    "max_detections": "Max detections per frame",
    "bev_frame": "Frame id of the BEV outputs (the ego frame of the calibration)",
    "diagnostics_period": "Period (s) of /diagnostics; level changes are published at once",
    "warn_z": "WARN when a sensor's smoothed share (or a consistency signal) is this many normal "
    "spreads from its normal, either way, for hold_s",
    "error_z": "ERROR when a sensor's smoothed share falls this many normal spreads below normal "
    "for hold_s",
    "corroborate_z": "An input statistic off its normal raises WARN only while the share is at "
    "least this many spreads off its normal too (else it is a note: perception unaffected)",
    "min_spread": "Smallest normal spread of a share, so a calm warm-up cannot make noise alarm",
    "alarm_calibration": "YAML file of normal spreads per signal ({spreads: {camera: 0.03, "
    "'camera/front contrast': 3.1, ...}}), as lmd_benchmark alarms measures them; empty = the "
    "model's own (the shipped model ships one), else learnt over the warm-up",
    "hold_s": "How long (s) a signal must stay off normal before the alarm rises",
    "clear_s": "How long (s) a signal must stay back to normal before the alarm clears",
    "silent_after_s": "A sensor without messages this long (s) is ERROR",
    "warmup_frames": "Frames over which baselines set to -1 and spreads not calibrated are "
    "learned",
    "baseline_camera": "Camera baseline share in [0, 1]; -1 = learn over the warm-up",
    "baseline_radar": "Radar baseline share in [0, 1]; -1 = learn over the warm-up",
    "baseline_lidar": "LiDAR baseline share in [0, 1]; -1 = learn over the warm-up",
    "publish_camera_overlay": "Also publish ~/camera_overlay (first camera with boxes and shares)",
    "max_image_pixels": "Images with more pixels (as their header declares) are refused before "
    "decoding: a small compressed image can declare a huge size (a decompression bomb)",
}


_TOPIC = re.compile(r"(~/|/)?[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*")
"""A ROS topic name (no substitutions): tokens of letters, digits and _ separated by /."""


def _typed(name: str, value: Any, default: Any) -> Any:
    """``value`` as the type of ``default``; an integer is accepted for a double (``slop:=1``
    is 1.0: ROS would refuse it for the type alone), nothing else is converted."""
    if isinstance(default, tuple):
        if value is None:  # an empty YAML list reaches rclpy without an element type
            return ()
        numbers = name in NUMBER_LISTS
        element_ok = (lambda v: isinstance(v, int | float) and not isinstance(v, bool)) \
            if numbers else (lambda v: isinstance(v, str))
        if not isinstance(value, list | tuple | array.array) or not all(map(element_ok, value)):
            raise InvalidSetting(name, f"must be a list of {'numbers' if numbers else 'strings'}",
                                 value)
        return tuple(float(v) for v in value) if numbers else tuple(value)
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if type(value) is not type(default):
        raise InvalidSetting(name, f"must be {_TYPE_NAMES[type(default)]}", value)
    return value


NUMBER_LISTS = frozenset({"ego_crop"})
"""List settings of numbers; every other list holds strings."""
_TYPE_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}


def _validate(s: MonitorSettings) -> None:
    def require(name: str, ok: bool, reason: str) -> None:
        if not ok:
            raise InvalidSetting(name, reason, getattr(s, name))

    for f in fields(s):
        value = getattr(s, f.name)
        if isinstance(value, float):
            require(f.name, math.isfinite(value), "must be finite")
    for name in ("camera_topics", "camera_info_topics", "radar_topics", "lidar_topics",
                 "tf_static_topic"):
        topics = getattr(s, name)
        for topic in topics if isinstance(topics, tuple) else [topics]:
            if topic or name not in ("camera_info_topics", "tf_static_topic"):  # '' = none
                require(name, bool(_TOPIC.fullmatch(topic)), f"{topic!r} is not a valid topic name")
    require("camera_names", len(set(s.camera_names)) == len(s.camera_names), "names must be unique")
    require(
        "camera_topics",
        len(s.camera_topics) == len(s.camera_names),
        f"needs one topic per camera name ({len(s.camera_names)})",
    )
    require("bev_frame", bool(s.bev_frame), "must not be empty")
    for kind in ("radar", "lidar"):
        names, topics = f"{kind}_names", f"{kind}_topics"
        require(names, len(getattr(s, names)) == len(getattr(s, topics)),
                f"needs one name per {topics} entry ({len(getattr(s, topics))})")
        require(names, len(set(getattr(s, names))) == len(getattr(s, names)),
                "names must be unique")
    require("camera_info_topics", len(s.camera_info_topics) in (0, len(s.camera_names)),
            f"needs none (derived) or one entry per camera ({len(s.camera_names)})")
    require("ego_crop", len(s.ego_crop) in (0, 6) and all(
        lo < hi for lo, hi in zip(s.ego_crop[::2], s.ego_crop[1::2], strict=True)),
        "must be empty or [x_min, x_max, y_min, y_max, z_min, z_max] with min < max")
    for name in ("radar_rcs_scale", "radar_velocity_scale", "lidar_intensity_scale"):
        require(name, math.isfinite(getattr(s, name)) and getattr(s, name) != 0,
                "must be finite and non-zero")
    require(
        "device",
        s.device in ("auto", "cpu", "cuda") or s.device.startswith("cuda:"),
        "must be auto, cpu, cuda or cuda:N",
    )
    require("qos_reliability", s.qos_reliability in ("best_effort", "reliable"),
            "must be best_effort or reliable")
    require("torch_threads", s.torch_threads >= 1, "must be >= 1")
    require("qos_depth", s.qos_depth >= 1, "must be >= 1")
    require("max_image_pixels", s.max_image_pixels >= 1, "must be >= 1")
    require("slop", s.slop > 0, "must be > 0")
    require("stale_after", s.stale_after > s.slop, "must be greater than slop")
    require("score_threshold", 0 < s.score_threshold < 1, "must be in (0, 1)")
    require("max_detections", s.max_detections >= 1, "must be >= 1")
    require("diagnostics_period", s.diagnostics_period > 0, "must be > 0")
    require("corroborate_z", 0 < s.corroborate_z <= s.warn_z, "must be in (0, warn_z]")
    require("error_z", s.error_z > s.warn_z, "must be greater than warn_z")
    require("min_spread", s.min_spread >= 0, "must be >= 0")
    for name in ("hold_s", "clear_s"):
        require(name, getattr(s, name) >= 0, "must be >= 0")
    require("silent_after_s", s.silent_after_s > 0, "must be > 0")
    require("warmup_frames", s.warmup_frames >= 1, "must be >= 1")
    for modality in ("camera", "radar", "lidar"):
        name = f"baseline_{modality}"
        value = getattr(s, name)
        require(name, value == -1.0 or 0 < value <= 1, "must be -1 (learn) or in (0, 1]")
