"""Selecting a model by configuration: import paths, entry points, options, and every way a model
can fail to load, which stops the node / the bag analysis with exit 2 and one line."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from lmd_ros.adapters import AdapterError, load_adapter
from lmd_ros.adapters.loading import parse_options
from lmd_ros.bag.analyze import main as analyze_main
from lmd_ros.model.adapter import SimpleBEVAdapter
from lmd_ros.monitor.assembly import build_core
from lmd_ros.monitor.settings import InvalidSetting, MonitorSettings

IMPORTS_MODEL = re.compile(r"^\s*(from|import)\s+lmd_ros\.model\b", re.MULTILINE)
BAD_FACTORIES = [
    ("no_such_package.module:build", "cannot import 'no_such_package.module'"),
    ("lmd_ros.sensors:no_factory", "has no callable 'no_factory'"),
    ("lmd_ros.sensors:Rig", "the factory raised TypeError"),
    ("lmd_ros.calibration:load_rig", "the factory raised TypeError"),
    ("not_an_installed_model", "no such installed model"),
]


def test_empty_model_is_the_reference_adapter():
    adapter = load_adapter("")
    assert isinstance(adapter, SimpleBEVAdapter)
    assert adapter.modalities == ("camera", "radar", "lidar")


def test_options_come_inline_or_from_a_file(tmp_path):
    assert parse_options("") == {}
    assert parse_options("{layers: 2, name: x}") == {"layers": 2, "name": "x"}
    path = tmp_path / "options.yaml"
    path.write_text("layers: 3\n")
    assert parse_options(str(path)) == {"layers": 3}
    with pytest.raises(AdapterError, match="must be a mapping"):
        parse_options("[1, 2]")


def test_a_factory_returning_no_adapter_is_refused(tmp_path, monkeypatch):
    (tmp_path / "not_adapter_factory.py").write_text(
        "def build(checkpoint, options, device):\n    return object()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(AdapterError, match="returned object, not a lmd_ros ModelAdapter"):
        load_adapter("not_adapter_factory:build")


@pytest.mark.parametrize(("model", "reason"), BAD_FACTORIES)
def test_bad_factories_are_invalid_model_settings(model, reason):
    with pytest.raises(InvalidSetting, match="parameter 'model'") as error:
        build_core(MonitorSettings(model=model))
    assert reason in str(error.value)


def test_sensors_without_modality_and_modalities_without_sensor_are_refused():
    with pytest.raises(InvalidSetting, match=r"no topic for \['lidar'\]"):
        build_core(MonitorSettings(lidar_topics=(), lidar_names=()))


@pytest.mark.parametrize(("model", "reason"), BAD_FACTORIES[:3])
def test_the_node_exits_2_with_one_line_naming_the_model(model, reason):
    result = subprocess.run(
        [sys.executable, "-m", "lmd_ros.ros.monitor_node", "--ros-args", "-p", f"model:={model}"],
        capture_output=True, text=True, timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert f"parameter 'model': {model}" in output and reason in output
    assert "Traceback" not in output


def test_the_bag_analysis_exits_2_naming_the_model(tmp_path, capsys):
    model, reason = BAD_FACTORIES[0]
    bag = tmp_path / "bag"
    bag.mkdir()
    assert analyze_main([str(bag), "--out", str(tmp_path / "out"), "--model", model]) == 2
    error = capsys.readouterr().err
    assert f"parameter 'model': {model}" in error and reason in error


def test_monitor_and_bag_rooms_know_no_model():
    """The monitor reaches models only through the adapter protocol."""
    package = Path(__file__).resolve().parents[1] / "lmd_ros"
    offenders = [str(path.relative_to(package)) for room in ("monitor", "bag")
                 for path in (package / room).rglob("*.py")
                 if IMPORTS_MODEL.search(path.read_text())]
    assert not offenders
