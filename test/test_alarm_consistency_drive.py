"""Faults no rate monitor sees, in short drives of the shipped model with its shipped spreads: a
misaligned LiDAR raises a WARN on the LiDAR from a consistency signal of its evidence, a frozen
camera one on the camera from its unchanging images; no other sensor alarms, and each reason
names the sensor's share beside its own evidence."""

from __future__ import annotations

import pytest

from lmd_ros.benchmarks.campaign import DriveSpec
from lmd_ros.benchmarks.drive_trace import run_drive
from lmd_ros.monitor.alarms import Level
from lmd_ros.monitor.settings import MonitorSettings
from lmd_ros.world import Fault

FAULT = (4.0, 10.0)
CONSISTENCY = ("agreement", "yaw offset", "motion")


@pytest.mark.parametrize(("kind", "sensor", "evidence"), [
    ("camera_frozen", "camera", ("camera/",)),  # all four cameras: "camera/front: image ..."
    ("lidar_misaligned", "lidar", CONSISTENCY)])
def test_the_fault_raises_a_warning_on_its_sensor_alone(kind, sensor, evidence):
    spec = DriveSpec(3, "day", Fault(kind, *FAULT, 1.0), 11.0, "eval")
    trace = run_drive(spec, MonitorSettings())
    spans = [s for s in trace.alarms if s.level != Level.STALE]
    assert {s.sensor for s in spans} == {sensor}, spans
    (span,) = spans
    assert FAULT[0] < span.onset < FAULT[0] + 3.0 and span.level >= Level.WARN
    assert span.reason.startswith(evidence), span.reason
    assert "share" in span.reason
