"""The shipped parameter file is valid, and each invalid value is refused with its name."""

import subprocess
import sys

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
        ("error_z", 3.0, "greater than warn_z"),
        ("corroborate_z", 5.0, "(0, warn_z]"),
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


def test_the_shipped_config_applies_under_any_namespace(repo_root, tmp_path):
    """Over DDS: the node in /car1 reads a copy of the shipped file whose slop is invalid, and
    refuses it: the file's values reached the namespaced node (a key ``lmd_monitor:`` would
    match only /lmd_monitor, and the value would be silently ignored)."""
    text = (repo_root / "config" / "monitor.yaml").read_text()
    assert [line[:4] for line in text.splitlines() if not line.startswith((" ", "#"))] == ["/**:"]
    custom = tmp_path / "custom.yaml"
    custom.write_text(text.replace("    slop: 0.05", "    slop: -0.5"))
    result = subprocess.run(
        [sys.executable, "-m", "lmd_ros.ros.monitor_node", "--ros-args", "-r", "__ns:=/car1",
         "--params-file", str(custom)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "parameter 'slop': must be > 0 (got -0.5)" in result.stdout + result.stderr
