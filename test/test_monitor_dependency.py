"""Sensor dependency: a detection depends on m when sigmoid(z − c_m) falls below the threshold;
``~/detections``, ``~/markers`` and ``/diagnostics`` say so."""

from __future__ import annotations

import numpy as np
import pytest
from builtin_interfaces.msg import Time

from lmd_ros.adapters import Detection, load_adapter
from lmd_ros.model.dataset import HELD_OUT_FIRST_SEED
from lmd_ros.monitor.assembly import build_core
from lmd_ros.monitor.attribution import Attributor, FrameAttribution
from lmd_ros.monitor.dependency import (
    below_threshold,
    depends_on_one,
    linearized_dependencies,
)
from lmd_ros.monitor.render import MODALITY_COLOURS, box_outline
from lmd_ros.monitor.settings import MonitorSettings
from lmd_ros.ros.conversions import pointcloud2_to_array, seconds_to_stamp
from lmd_ros.ros.diagnostics import diagnostics_message
from lmd_ros.ros.outputs import detection_fields, detections_message, markers_message
from lmd_ros.world import Drive, default_rig

MODALITIES = ("camera", "radar", "lidar")
THRESHOLD = 0.3
LOGITS = np.array([2.0, 0.5, 3.0, -0.5])
CONTRIBUTIONS = np.array([  # camera, radar, lidar, bias; rows sum to LOGITS
    [3.0, 0.2, -0.1, -1.1],   # camera alone carries it
    [1.5, 1.5, 0.0, -2.5],    # camera and radar are each needed
    [1.0, 1.0, 1.0, 0.0],     # any two sensors suffice
    [-0.2, 0.0, 0.4, -0.7],   # lidar alone; without the camera it would score higher
])
EXPECTED = np.array([[True, False, False], [True, True, False], [False, False, False],
                     [False, False, True]])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _result(logits: np.ndarray, contributions: np.ndarray) -> FrameAttribution:
    n = len(logits)
    boxes = [Detection(x=5.0 * i, y=0.0, z=0.8, l=4.0, w=2.0, h=1.6, yaw=0.0, class_id=0,
                       score=float(_sigmoid(z)), output=("heatmap", 0, 0, i, 0))
             for i, z in enumerate(logits)]
    return FrameAttribution(
        stamp=0.0, modalities=MODALITIES, detections=boxes, logits=logits,
        contributions=contributions, shares=np.full((n, 3), 1 / 3), evidence=None,
        present=dict.fromkeys(MODALITIES, True),
        dependencies=linearized_dependencies(logits, contributions, THRESHOLD))


def test_dependencies_are_the_score_without_each_contribution_below_the_threshold():
    np.testing.assert_allclose(CONTRIBUTIONS.sum(axis=1), LOGITS)
    dependencies = linearized_dependencies(LOGITS, CONTRIBUTIONS, THRESHOLD)
    np.testing.assert_array_equal(dependencies, EXPECTED)
    without = _sigmoid(LOGITS[:, None] - CONTRIBUTIONS[:, :3])
    np.testing.assert_array_equal(dependencies, without < THRESHOLD)
    np.testing.assert_array_equal(depends_on_one(dependencies), [True, False, False, True])


def test_thresholds_compare_in_logit_units_without_overflow():
    with np.errstate(all="raise"):
        assert below_threshold(np.array([-1e4, 1e4]), THRESHOLD).tolist() == [True, False]
    assert linearized_dependencies(np.zeros(0), np.zeros((0, 4)), THRESHOLD).shape == (0, 3)


def test_frame_helpers_name_and_count_single_sensor_detections():
    result = _result(LOGITS, CONTRIBUTIONS)
    assert result.sole_dependencies() == ["camera", None, None, "lidar"]
    assert result.single_sensor_counts() == {"camera": 1, "radar": 0, "lidar": 1}
    assert result.single_sensor_detections() == 2
    empty = _result(np.zeros(0), np.zeros((0, 4)))
    assert empty.sole_dependencies() == [] and empty.single_sensor_detections() == 0


@pytest.fixture(scope="module")
def shipped() -> Attributor:
    return Attributor(load_adapter(""), MonitorSettings().score_threshold)


def test_attributor_marks_dependencies_of_the_shipped_model_on_a_held_out_frame(shipped):
    frame = Drive(seed=HELD_OUT_FIRST_SEED).frame(0)[0]
    result = shipped(frame, default_rig())
    assert result.dependencies.shape == (len(result.detections), 3)
    without = _sigmoid(result.logits[:, None] - result.contributions[:, :3])
    np.testing.assert_array_equal(result.dependencies, without < shipped.score_threshold)
    assert result.dependencies.any() and not result.dependencies.all(), \
        "the frame was chosen to hold a detection that depends on one sensor, and others"
    assert result.single_sensor_detections() == depends_on_one(result.dependencies).sum() > 0


def test_detections_message_carries_one_dep_field_per_modality():
    result = _result(LOGITS, CONTRIBUTIONS)
    fields = detection_fields(MODALITIES)
    assert fields[-3:] == ("dep_camera", "dep_radar", "dep_lidar")
    points = pointcloud2_to_array(detections_message(result, Time(), "base_link"), fields).points
    np.testing.assert_array_equal(points[:, -3:], EXPECTED.astype(np.float32))
    np.testing.assert_allclose(points[:, fields.index("c_bias")], CONTRIBUTIONS[:, 3])


def test_markers_outline_single_sensor_detections_in_their_sensor_colour():
    result = _result(LOGITS, CONTRIBUTIONS)
    markers = markers_message(result, Time(), "base_link", ("vehicle",)).markers
    outlines = {m.id: m for m in markers if m.ns == "single_sensor"}
    assert sorted(outlines) == [0, 3]
    for i, modality in ((0, "camera"), (3, "lidar")):
        outline = outlines[i]
        colour = tuple(round(c * 255) for c in (outline.color.r, outline.color.g, outline.color.b))
        assert colour == MODALITY_COLOURS[modality]
        points = np.array([(p.x, p.y, p.z) for p in outline.points])
        np.testing.assert_allclose(points, box_outline(result.detections[i]))
    labels = {m.id: m.text for m in markers if m.ns == "labels"}
    assert labels[0].endswith("\nonly camera") and labels[3].endswith("\nonly lidar")
    assert "only" not in labels[1] + labels[2]


def test_diagnostics_report_the_last_frames_single_sensor_detections():
    core = build_core(MonitorSettings())

    def reported() -> str:
        message = diagnostics_message(core, seconds_to_stamp(1.0), None)
        pipeline = next(s for s in message.status if s.name.endswith("pipeline"))
        return {v.key: v.value for v in pipeline.values}["single_sensor_detections"]

    assert reported() == "n/a"
    core.record(_result(LOGITS, CONTRIBUTIONS), now=0.5)
    assert reported() == "2"
    core.record(_result(LOGITS[2:3], CONTRIBUTIONS[2:3]), now=0.6)
    assert reported() == "0"
