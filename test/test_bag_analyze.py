"""A synthetic bag through `analyse_bag`: the tables, the annotated bag and the HTML report say
the same thing, one row per detection, with contributions that add up to the logit."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rosbags.rosbag2 import Reader
from sensor_msgs.msg import PointCloud2
from test_bag_support import analysed, columns, healthy, synthetic_bag

from lmd_ros.bag.cdr import decode
from lmd_ros.bag.make_bag import START_S
from lmd_ros.monitor.settings import MonitorSettings
from lmd_ros.ros.conversions import pointcloud2_to_array, stamp_to_seconds
from lmd_ros.ros.outputs import detection_fields
from lmd_ros.sensors import MODALITIES

SILENT = (1.0, 2.0)
"""The LiDAR publishes nothing in this window of the second bag."""


@pytest.fixture(scope="module")
def lidar_silent():
    return analysed(synthetic_bag(3.0, faults=(f"lidar_silent@{SILENT[0]}:{SILENT[1]}",)))


def test_one_row_per_detection_whose_contributions_add_up_to_its_logit():
    detections = columns(healthy() / "detections.parquet")
    frames = columns(healthy() / "frames.parquet")
    assert len(frames["stamp"]) == 20
    assert len(detections["stamp"]) == frames["detections"].sum() > 0
    contributions = np.stack([detections[f"c_{m}"] for m in (*MODALITIES, "bias")], axis=1)
    np.testing.assert_allclose(contributions.sum(axis=1), detections["logit"], atol=1e-4)
    shares = np.stack([detections[f"s_{m}"] for m in MODALITIES], axis=1)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0, atol=1e-6)
    dependencies = np.stack([detections[f"dep_{m}"] for m in MODALITIES], axis=1)
    threshold = MonitorSettings().score_threshold
    np.testing.assert_array_equal(
        dependencies, 1 / (1 + np.exp(contributions[:, :3] - detections["logit"][:, None]))
        < threshold)
    alone = dependencies.sum(axis=1) == 1
    for k, m in enumerate(MODALITIES):
        per_frame = [np.sum(alone & dependencies[:, k] & (detections["stamp"] == s))
                     for s in frames["stamp"]]
        np.testing.assert_array_equal(frames[f"single_sensor_{m}"], per_frame)
    np.testing.assert_array_equal(
        frames["single_sensor_detections"],
        sum(frames[f"single_sensor_{m}"] for m in MODALITIES))
    assert set(detections["class"]) <= {"vehicle", "pedestrian"}
    assert (detections["score"] >= MonitorSettings().score_threshold).all()
    assert set(detections["stamp"]) <= set(frames["stamp"])
    assert all(frames[f"present_{m}"].all() for m in MODALITIES)
    summary = json.loads((healthy() / "summary.json").read_text())
    assert summary["frames"] == 20 and summary["issues"] == []


def test_annotated_bag_replays_the_node_topics_for_every_frame():
    frames = columns(healthy() / "frames.parquet")
    detections = columns(healthy() / "detections.parquet")
    with Reader(healthy() / "annotated") as reader:
        counts = {c.topic: c.msgcount for c in reader.connections}
        clouds = [decode(raw, PointCloud2) for c, _, raw in reader.messages()
                  if c.topic == "/lmd_monitor/detections"]
    for topic in ("detections", "markers", "bev_contributions", "camera_overlay"):
        assert counts.pop(f"/lmd_monitor/{topic}") == len(frames["stamp"])
    assert counts.pop("/diagnostics") >= 1
    assert counts == {}
    stamps = np.array([stamp_to_seconds(c.header.stamp) for c in clouds])
    np.testing.assert_allclose(stamps, frames["stamp"], atol=1e-6)
    fields = detection_fields(MODALITIES)
    rows = np.concatenate([pointcloud2_to_array(c, fields).points for c in clouds if c.width])
    expected = np.stack([detections[f] for f in fields], axis=1)
    np.testing.assert_allclose(rows, expected, rtol=1e-5, atol=1e-5)


def test_silent_lidar_raises_a_lidar_alarm_in_its_window_and_none_elsewhere(lidar_silent):
    alarms = columns(lidar_silent / "alarms.parquet")
    assert list(alarms) == ["onset", "clear", "sensor", "level", "reason"]
    assert set(alarms["sensor"]) == {"lidar"}
    onset = alarms["onset"].min() - START_S
    assert SILENT[0] < onset < SILENT[1]
    assert (alarms["level"] == "ERROR").any()
    frames = columns(lidar_silent / "frames.parquet")
    without = frames["stamp"][~frames["present_lidar"]] - START_S
    assert len(without) > 0
    # The first set after the silence still goes without the LiDAR: it is completed (stale
    # LiDAR) by the radar message, which precedes the LiDAR's in the bag, as on the wire.
    assert ((without >= SILENT[0]) & (without < SILENT[1] + 0.05)).all()


def test_report_holds_its_plots_and_the_pictures_at_the_alarm(lidar_silent):
    page = (lidar_silent / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 4 + 2  # 4 plots; BEV + overlay at onset
    for heading in ("Sensor shares over time", "Single-sensor detections over time",
                    "per class", "per range band", "At each alarm onset"):
        assert heading in page
    assert "lidar ERROR" in page
