"""The shipped parameter file is valid, and each invalid value is refused with its name."""

import pytest

from lmd_ros.monitor.settings import DESCRIPTIONS, InvalidSetting, MonitorSettings


def test_shipped_config_is_valid_and_complete(repo_root):
    settings = MonitorSettings.from_yaml(repo_root / "config" / "monitor.yaml")
    assert settings.camera_names == ("front", "left", "right", "rear")
    assert settings.baseline("lidar") is None
    assert set(DESCRIPTIONS) == set(MonitorSettings.__dataclass_fields__)


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("slop", -0.1, "must be > 0"),
        ("stale_after", 0.01, "greater than slop"),
        ("device", "tpu", "auto, cpu, cuda"),
        ("camera_topics", ["/a"], "one topic per camera"),
        ("error_drop", 0.3, "(warn_drop, 1)"),
        ("baseline_radar", 1.5, "-1 (learn)"),
        ("qos_reliability", "sometimes", "best_effort or reliable"),
        ("colour", "blue", "unknown parameter"),
    ],
)
def test_invalid_value_names_the_parameter(name, value, reason):
    with pytest.raises(InvalidSetting) as error:
        MonitorSettings.from_parameters({name: value})
    assert error.value.name == name
    assert f"parameter '{name}'" in str(error.value)
    assert reason in str(error.value)
