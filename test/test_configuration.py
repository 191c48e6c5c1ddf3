"""Every bad configuration stops the node with exit code 2 and one line naming what is wrong,
never a traceback; checkpoints and calibrations are checked before the first frame."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
import yaml

from lmd_ros.calibration import load_rig
from lmd_ros.model.checkpoint import DEFAULT_CHECKPOINT
from lmd_ros.monitor.assembly import build_adapter
from lmd_ros.monitor.settings import InvalidSetting, MonitorSettings
from lmd_ros.world import default_rig, rig_to_dict


def _monitor(*ros_args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lmd_ros.ros.monitor_node", "--ros-args",
                           *ros_args], capture_output=True, text=True, timeout=120)


def _refused(result: subprocess.CompletedProcess, text: str) -> None:
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 2, output
    assert len(output.splitlines()) == 1 and "Traceback" not in output, output
    assert text in output, output


class _Payload:
    """Unpickling this would create ``marker``: a checkpoint must never run code."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize(("args", "text"), [
    (("-p", "slop:=abc"), "parameter 'slop': must be a number (got 'abc')"),
    (("-p", "torch_threads:=2.5"), "parameter 'torch_threads': must be an integer"),
    (("-p", "warmup_frames:=true"), "parameter 'warmup_frames': must be an integer"),
    (("-p", "diagnostics_period:=.inf"), "parameter 'diagnostics_period': must be finite"),
    (("-p", "silent_after_s:=.inf"), "parameter 'silent_after_s': must be finite"),
    (("-p", "camera_names:=[]"), "parameter 'camera_topics': needs one topic per camera name (0)"),
    (("-p", "camera_names:=[]", "-p", "camera_topics:=[]"),
     "parameter 'model': modalities and sensors do not match"),
    (("-p", "radar_topics:=['bad!topic']"), "parameter 'radar_topics': 'bad!topic' is not a valid"),
    (("-p", "slop:=1", "-p", "sloop:=0.1"), "parameter 'sloop': unknown parameter"),
    (("--params-file", "/nonexistent/monitor.yaml"), "params file /nonexistent/monitor.yaml"),
    (("-p", "calibration_file:=/nonexistent.yaml"), "parameter 'calibration_file'"),
    (("-p", "calibration_file:=/tmp"), "cannot be read: Is a directory"),
])
def test_a_bad_configuration_exits_2_with_one_line(args, text):
    _refused(_monitor(*args), text)


def test_a_checkpoint_with_a_pickle_payload_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "payload_ran"
    checkpoint = tmp_path / "evil.pt"
    torch.save({"model": _Payload(str(marker))}, checkpoint)
    _refused(_monitor("-p", f"checkpoint:={checkpoint}"), "parameter 'checkpoint'")
    assert not marker.exists()


def _checkpoint_bytes(kind: str) -> bytes:
    if kind == "empty":
        return b""
    if kind == "random":
        return np.random.default_rng(0).bytes(4096)
    if kind == "truncated":
        return DEFAULT_CHECKPOINT.read_bytes()[:5000]
    buffer = io.BytesIO()
    torch.save({"weight": torch.zeros(3)}, buffer)  # another model's weights
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["empty", "random", "truncated", "foreign"])
def test_an_unusable_checkpoint_is_an_invalid_checkpoint(tmp_path, kind):
    checkpoint = tmp_path / f"{kind}.pt"
    checkpoint.write_bytes(_checkpoint_bytes(kind))
    with pytest.raises(InvalidSetting) as error:
        build_adapter(MonitorSettings(device="cpu", checkpoint=str(checkpoint)))
    assert error.value.name == "checkpoint"
    assert "\n" not in str(error.value)


def _camera_changed(path, **change):
    rig = rig_to_dict(default_rig())
    rig["cameras"][0].update(change)
    path.write_text(yaml.safe_dump(rig))
    return path


@pytest.mark.parametrize(("change", "problem"), [
    ({"K": [[float("nan"), 0, 80], [0, 67, 48], [0, 0, 1]]}, "K must be a finite 3x3"),
    ({"K": [[0, 0, 80], [0, 0, 48], [0, 0, 1]]}, "K needs fx, fy > 0"),
    ({"T_ego_camera": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}, "must be a finite 4x4"),
    ({"T_ego_camera": [[2, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]}, "not rigid"),
    ({"T_ego_camera": [[0, 0, 0, 0]] * 3 + [[0, 0, 0, 1]]}, "not rigid"),
])
def test_a_physically_impossible_calibration_is_refused_at_start(tmp_path, change, problem):
    path = _camera_changed(tmp_path / "rig.yaml", **change)
    with pytest.raises(ValueError, match=f"camera 'front'.*{problem}"):
        load_rig(path)


def test_the_node_refuses_a_nan_calibration_with_one_line(tmp_path):
    path = _camera_changed(tmp_path / "rig.yaml",
                           K=[[float("nan"), 0, 80], [0, 67, 48], [0, 0, 1]])
    _refused(_monitor("-p", f"calibration_file:={path}"),
             "parameter 'calibration_file': calibration file")


def test_an_integer_for_a_double_is_accepted_as_that_number():
    settings = MonitorSettings.from_parameters({"slop": 1, "stale_after": 2})
    assert settings.slop == 1.0 and isinstance(settings.slop, float)
    with pytest.raises(InvalidSetting, match="parameter 'hold_s': must be a number"):
        MonitorSettings.from_parameters({"hold_s": True})
