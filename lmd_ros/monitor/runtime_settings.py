"""Which settings change at run time (`ros2 param set`), and how a change reaches the core.

Thresholds, alarm timing, baselines and display switches are dynamic: a new value is validated
with the very rules of start-up (`MonitorSettings.__post_init__`, on the whole set, so
``error_z > warn_z`` still holds) and applied between frames. Everything that shapes the
graph or the model (topics, QoS, model, checkpoint, calibration, device, synchroniser, warm-up
length) is read-only: changing it means restarting the node.

Applied to the core: ``score_threshold`` / ``max_detections`` from the next analysed frame on;
alarm thresholds and timing at the next alarm update, keeping every level and timer; a changed
baseline replaces the configured or learnt one (-1: learn it again over ``warmup_frames``);
``publish_camera_overlay`` and ``diagnostics_period`` are read by the node.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from typing import Any

from lmd_ros.monitor.core import MonitorCore, alarm_config
from lmd_ros.monitor.settings import InvalidSetting, MonitorSettings

DYNAMIC: frozenset[str] = frozenset({
    "score_threshold", "max_detections", "warn_z", "error_z", "corroborate_z", "min_spread",
    "hold_s", "clear_s",
    "silent_after_s", "baseline_camera", "baseline_radar", "baseline_lidar",
    "publish_camera_overlay", "diagnostics_period",
})
"""Settings that `ros2 param set` may change while the node runs."""

_KNOWN = frozenset(f.name for f in fields(MonitorSettings))


def is_dynamic(name: str) -> bool:
    return name in DYNAMIC


def describe(name: str, description: str) -> str:
    """The parameter description, saying whether it can be changed while the node runs."""
    when = "settable at run time" if is_dynamic(name) else "read-only: restart the node to change"
    return f"{description} ({when})"


def updated_settings(current: MonitorSettings, changes: Mapping[str, Any]) -> MonitorSettings:
    """``current`` with ``changes`` applied and validated as at start.

    Names that are not monitor settings (``use_sim_time``) are ignored; a read-only setting or
    an invalid result raises `InvalidSetting` naming the parameter, and nothing changes.
    """
    relevant = {name: value for name, value in changes.items() if name in _KNOWN}
    for name, value in relevant.items():
        if not is_dynamic(name):
            raise InvalidSetting(name, "read-only while the node runs", value)
    return replace(current, **relevant)


def apply(core: MonitorCore, settings: MonitorSettings) -> None:
    """Make ``settings`` the core's: attribution limits and alarm configuration."""
    old = core.settings
    core.settings = settings
    core.attributor.score_threshold = settings.score_threshold
    core.attributor.max_detections = settings.max_detections
    new_config = alarm_config(settings, core.modalities, core.alarm_spreads)
    if new_config != alarm_config(old, core.modalities, core.alarm_spreads):
        core.alarms.reconfigure(new_config)
