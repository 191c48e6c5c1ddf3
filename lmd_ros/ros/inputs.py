"""The monitor's sensor inputs: which topic feeds which core source, and how a message converts.

The live node subscribes to these streams and the bag analysis reads them from bags, so both
convert every message the same way and agree on which topics matter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from sensor_msgs.msg import CompressedImage, Image, PointCloud2

from lmd_ros.monitor.core import CAMERA_PREFIX
from lmd_ros.monitor.settings import MonitorSettings
from lmd_ros.ros.conversions import (
    compressed_image_to_rgb,
    image_to_rgb,
    pointcloud2_to_array,
    stamp_to_seconds,
)
from lmd_ros.sensors import LIDAR_FIELDS, RADAR_FIELDS


@dataclass(frozen=True)
class InputStream:
    """One sensor topic: its message type and the `MonitorCore` source it feeds."""

    topic: str
    source: str
    msg_type: type
    convert: Callable[[Any], np.ndarray]

    def read(self, msg: Any) -> tuple[float, np.ndarray]:
        """Header stamp (s) and converted data; raises ``MalformedMessage`` for bad input."""
        return stamp_to_seconds(msg.header.stamp), self.convert(msg)


def _cloud_reader(fields: tuple[str, ...]) -> Callable[[PointCloud2], np.ndarray]:
    def convert(msg: PointCloud2) -> np.ndarray:
        return pointcloud2_to_array(msg, fields[:3], fields[3:]).points
    return convert


def input_streams(settings: MonitorSettings) -> tuple[InputStream, ...]:
    """The streams of every configured sensor (cameras, then radar, LiDAR; an empty topic is no
    sensor). A camera topic ending in ``/compressed`` carries ``CompressedImage``.
    """
    streams = []
    for name, topic in zip(settings.camera_names, settings.camera_topics, strict=True):
        compressed = topic.endswith("/compressed")
        streams.append(InputStream(
            topic, CAMERA_PREFIX + name, CompressedImage if compressed else Image,
            partial(compressed_image_to_rgb if compressed else image_to_rgb,
                    max_pixels=settings.max_image_pixels),
        ))
    clouds = {"radar": (settings.radar_topic, RADAR_FIELDS),
              "lidar": (settings.lidar_topic, LIDAR_FIELDS)}
    for kind, (topic, fields) in clouds.items():
        if topic:
            streams.append(InputStream(topic, kind, PointCloud2, _cloud_reader(fields)))
    return tuple(streams)
