"""The model in a child process: same answers as in-process, failures and deaths reported."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

from lmd_ros.monitor.analysis_process import AnalysisDied, AnalysisProcess, FrameFailed
from lmd_ros.monitor.assembly import build_core
from lmd_ros.monitor.settings import MonitorSettings
from lmd_ros.sensors import SensorFrame
from lmd_ros.world import Drive, WorldConfig, default_rig

SETTINGS = MonitorSettings(device="cpu")


@pytest.fixture(scope="module")
def analysis():
    process = AnalysisProcess(SETTINGS)
    yield process
    process.close()


@pytest.fixture(scope="module")
def frame():
    return Drive(seed=2, config=WorldConfig(duration_s=0.2), rig=default_rig()).frame(1)[0]


def test_the_child_answers_exactly_as_the_model_in_process(analysis, frame):
    core = build_core(SETTINGS)
    rig = core.rig
    expected = core.attributor(frame, rig)
    got = analysis.analyse(frame, rig)
    assert len(got.detections) == len(expected.detections) > 0
    np.testing.assert_array_equal(got.contributions, expected.contributions)
    assert got.present == expected.present and got.stamp == frame.stamp


def test_a_frame_the_model_refuses_comes_back_with_the_exception_text(analysis, frame):
    rig = default_rig()
    frame = SensorFrame(frame.stamp, {**frame.images, "left": np.zeros((10, 20, 3), np.uint8)},
                        frame.lidar, frame.radar)
    with pytest.raises(FrameFailed,
                       match=r"ValueError: camera 'left': image of 20x10 does not have the aspect"):
        analysis.analyse(frame, rig)


def test_a_dead_child_is_reported_then_restarted(analysis):
    rig = default_rig()
    frame = Drive(seed=2, config=WorldConfig(duration_s=0.2), rig=rig).frame(0)[0]
    analysis.analyse(frame, rig)  # started and ready
    os.kill(analysis.pid(), signal.SIGKILL)
    with pytest.raises(AnalysisDied, match=r"analysis process .*\(exit code -9\); restarting"):
        analysis.analyse(frame, rig)
    assert analysis.analyse(frame, rig).stamp == frame.stamp
    assert analysis.restarts == 1
