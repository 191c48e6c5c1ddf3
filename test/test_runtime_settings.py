"""Which settings change at run time and how a change reaches the core (no ROS, no model)."""

from types import SimpleNamespace

import pytest

from lmd_ros.monitor.alarms import Level
from lmd_ros.monitor.assembly import rig_sources
from lmd_ros.monitor.core import MonitorCore
from lmd_ros.monitor.runtime_settings import DYNAMIC, apply, describe, updated_settings
from lmd_ros.monitor.settings import DESCRIPTIONS, InvalidSetting, MonitorSettings

MODALITIES = ("camera", "radar", "lidar")


def _core(settings: MonitorSettings) -> MonitorCore:
    adapter = SimpleNamespace(sensors={m: (m,) for m in MODALITIES}, class_names=("vehicle",),
                              field_ranges={}, bev_grid=None)
    attributor = SimpleNamespace(modalities=MODALITIES, adapter=adapter,
                                 score_threshold=settings.score_threshold,
                                 max_detections=settings.max_detections)
    return MonitorCore(settings, attributor, rig_sources(settings))


def test_every_dynamic_name_is_a_setting_and_descriptions_say_which():
    assert set(DESCRIPTIONS) >= DYNAMIC
    assert describe("score_threshold", "x").endswith("(settable at run time)")
    assert "read-only" in describe("checkpoint", "x")


def test_a_valid_change_is_validated_as_a_whole():
    settings = updated_settings(MonitorSettings(), {"warn_z": 3.0, "use_sim_time": True})
    assert settings.warn_z == 3.0
    with pytest.raises(InvalidSetting, match="error_z"):
        updated_settings(MonitorSettings(), {"error_z": 3.5})  # below warn_z 4


def test_structural_settings_are_refused():
    with pytest.raises(InvalidSetting, match="parameter 'radar_topics': read-only"):
        updated_settings(MonitorSettings(), {"radar_topics": ("/other",)})


def test_apply_reaches_attribution_and_alarms_and_keeps_alarm_state():
    core = _core(MonitorSettings(baseline_camera=0.4, silent_after_s=1.0))
    ages = {m: 0.1 for m in MODALITIES}
    core.alarms.update(0.0, {"camera": 0.4, "radar": 0.3, "lidar": 0.3}, ages)
    core.alarms.update(1.0, {}, {**ages, "radar": 1.5})  # radar silent past 1 s: ERROR
    assert core.alarms.status()["radar"].level == Level.ERROR
    changed = updated_settings(core.settings, {"score_threshold": 0.7, "max_detections": 3,
                                               "silent_after_s": 5.0, "baseline_camera": 0.6})
    apply(core, changed)
    assert (core.attributor.score_threshold, core.attributor.max_detections) == (0.7, 3)
    assert core.settings is changed
    assert core.alarms.status()["radar"].level == Level.ERROR, "levels carry on"
    assert core.alarms.status()["camera"].baseline == 0.6
    assert core.alarms.status()["radar"].baseline is None, "radar keeps learning"
    core.alarms.update(2.0, {}, {**ages, "radar": 2.5})
    assert core.alarms.status()["radar"].age == 2.5
    assert core.alarms.config.silent_after_s == 5.0
