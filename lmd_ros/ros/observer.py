"""A listening node that records what the monitor publishes (for the demo and the tests).

It keeps the per-sensor level history from /diagnostics, every ``~/detections`` table, and the
latest overlay pictures, all with their header stamps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from sensor_msgs.msg import Image, PointCloud2

from lmd_ros.monitor.alarms import Level
from lmd_ros.ros.conversions import image_to_rgb, pointcloud2_to_array, stamp_to_seconds

CONTRIBUTION_SUFFIX = " contribution"


@dataclass
class DetectionTable:
    stamp: float
    fields: tuple[str, ...]
    rows: np.ndarray

    def column(self, name: str) -> np.ndarray:
        return self.rows[:, self.fields.index(name)]


@dataclass
class Observation:
    """Everything observed so far; ``levels[sensor]`` is a list of (stamp, Level, message)."""

    levels: dict[str, list[tuple[float, Level, str]]] = field(default_factory=dict)
    pipeline: list[tuple[float, dict[str, str]]] = field(default_factory=list)
    inputs: list[tuple[float, Level, dict[str, str]]] = field(default_factory=list)
    pipeline_levels: list[tuple[float, Level, str]] = field(default_factory=list)
    """The pipeline status's (stamp, level, message) history."""
    detections: list[DetectionTable] = field(default_factory=list)
    bev: np.ndarray | None = None
    overlay: np.ndarray | None = None

    def level_changes(self, sensor: str) -> list[tuple[float, Level, str]]:
        """The sensor's level history with repeats removed."""
        changes: list[tuple[float, Level, str]] = []
        for entry in self.levels.get(sensor, []):
            if not changes or changes[-1][1] != entry[1]:
                changes.append(entry)
        return changes


class MonitorObserver(Node):
    """Subscribes to the monitor's outputs under ``monitor`` (its fully qualified name)."""

    def __init__(self, monitor: str = "/lmd_monitor", **node_options) -> None:
        super().__init__("lmd_observer", **node_options)
        self.observation = Observation()
        self.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, 50)
        self.create_subscription(PointCloud2, f"{monitor}/detections", self._on_detections, 50)
        self.create_subscription(Image, f"{monitor}/bev_contributions", self._on_bev, 5)
        self.create_subscription(Image, f"{monitor}/camera_overlay", self._on_overlay, 5)

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        stamp = stamp_to_seconds(msg.header.stamp)
        for status in msg.status:
            values = {kv.key: kv.value for kv in status.values}
            if status.name.endswith(CONTRIBUTION_SUFFIX):
                level = Level(int.from_bytes(status.level, "little"))
                self.observation.levels.setdefault(status.hardware_id, []).append(
                    (stamp, level, status.message)
                )
            elif status.name.endswith(": pipeline"):
                self.observation.pipeline.append((stamp, values))
                self.observation.pipeline_levels.append(
                    (stamp, Level(int.from_bytes(status.level, "little")), status.message))
            elif status.name.endswith(": inputs"):
                level = Level(int.from_bytes(status.level, "little"))
                self.observation.inputs.append((stamp, level, values))

    def _on_detections(self, msg: PointCloud2) -> None:
        fields = tuple(f.name for f in msg.fields)
        rows = (
            pointcloud2_to_array(msg, fields).points
            if msg.width
            else np.zeros((0, len(fields)), np.float32)
        )
        stamp = stamp_to_seconds(msg.header.stamp)
        self.observation.detections.append(DetectionTable(stamp, fields, rows))

    def _on_bev(self, msg: Image) -> None:
        self.observation.bev = image_to_rgb(msg).copy()

    def _on_overlay(self, msg: Image) -> None:
        self.observation.overlay = image_to_rgb(msg).copy()
