"""The monitor's sensor inputs: which topic feeds which core source, and how a message converts.

The live node subscribes to these streams and the bag analysis reads them from bags, so both
convert every message the same way and agree on which topics matter. Sources are
``camera/<name>``, ``radar/<name>`` and ``lidar/<name>`` for data, ``camera_info/<name>`` and
``tf_static`` for calibration (`lmd_ros.monitor.rig_sources`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from sensor_msgs.msg import CameraInfo, CompressedImage, Image, PointCloud2

from lmd_ros.monitor.core import CAMERA_INFO_PREFIX, CAMERA_PREFIX, TF_STATIC
from lmd_ros.monitor.settings import MonitorSettings
from lmd_ros.ros.calibration_messages import camera_info_intrinsics, tf_message_type, transforms
from lmd_ros.ros.conversions import (
    compressed_image_to_rgb,
    image_to_rgb,
    pointcloud2_to_array,
    stamp_to_seconds,
)
from lmd_ros.sensors import LIDAR_FIELDS, RADAR_FIELDS


@dataclass(frozen=True)
class InputStream:
    """One topic: its message type, the `MonitorCore` source it feeds, and its conversion."""

    topic: str
    source: str
    msg_type: type
    convert: Callable[[Any], Any]

    def read(self, msg: Any) -> tuple[float, Any, str]:
        """Header stamp (s), converted data and ``header.frame_id`` (empty for messages without
        a header); raises ``MalformedMessage`` for bad input."""
        header = getattr(msg, "header", None)
        stamp = stamp_to_seconds(header.stamp) if header is not None else 0.0
        return stamp, self.convert(msg), header.frame_id if header is not None else ""


@dataclass(frozen=True)
class FieldMap:
    """Which PointCloud2 fields a cloud's optional columns are read from, and their scales."""

    aliases: tuple[tuple[str, ...], ...]
    scales: tuple[float, ...]

    def read(self, msg: PointCloud2, columns: Sequence[str]) -> CloudReading:
        present = {field.name for field in msg.fields}
        chosen = [next((a for a in names if a in present), names[0]) for names in self.aliases]
        cloud = pointcloud2_to_array(msg, columns[:3], chosen)
        points = cloud.points
        if any(scale != 1.0 for scale in self.scales):
            points[:, 3:] *= np.asarray(self.scales, np.float32)
        missing = tuple(column for column, name in zip(columns[3:], chosen, strict=True)
                        if name in cloud.missing)
        return CloudReading(points, missing, cloud.dropped)


@dataclass(frozen=True)
class CloudReading:
    """A converted cloud and what the conversion could not find (columns read as 0)."""

    points: np.ndarray
    missing: tuple[str, ...]
    dropped: int


def field_maps(settings: MonitorSettings) -> dict[str, FieldMap]:
    """Per sensor kind: the aliases and scales of its optional columns (after x, y, z)."""
    return {
        "radar": FieldMap((settings.radar_rcs_fields, settings.radar_velocity_fields),
                          (settings.radar_rcs_scale, settings.radar_velocity_scale)),
        "lidar": FieldMap((settings.lidar_intensity_fields,), (settings.lidar_intensity_scale,)),
    }


def camera_info_topics(settings: MonitorSettings) -> tuple[str, ...]:
    """The configured CameraInfo topics, or the one beside each image topic."""
    if settings.camera_info_topics:
        return settings.camera_info_topics
    return tuple(topic.removesuffix("/compressed").rsplit("/", 1)[0] + "/camera_info"
                 for topic in settings.camera_topics)


def input_streams(settings: MonitorSettings) -> tuple[InputStream, ...]:
    """The streams of every configured sensor and calibration source (an empty topic is none).

    A camera topic ending in ``/compressed`` carries ``CompressedImage``.
    """
    streams = []
    for name, topic in zip(settings.camera_names, settings.camera_topics, strict=True):
        compressed = topic.endswith("/compressed")
        streams.append(InputStream(
            topic, CAMERA_PREFIX + name, CompressedImage if compressed else Image,
            partial(compressed_image_to_rgb if compressed else image_to_rgb,
                    max_pixels=settings.max_image_pixels),
        ))
    maps = field_maps(settings)
    for kind, columns in (("radar", RADAR_FIELDS), ("lidar", LIDAR_FIELDS)):
        names, topics = getattr(settings, f"{kind}_names"), getattr(settings, f"{kind}_topics")
        for name, topic in zip(names, topics, strict=True):
            streams.append(InputStream(topic, f"{kind}/{name}", PointCloud2,
                                       partial(maps[kind].read, columns=columns)))
    rectified = {name: "rect" in topic
                 for name, topic in zip(settings.camera_names, settings.camera_topics,
                                        strict=True)}
    for name, topic in zip(settings.camera_names, camera_info_topics(settings), strict=True):
        if topic:
            streams.append(InputStream(topic, CAMERA_INFO_PREFIX + name, CameraInfo,
                                       partial(camera_info_intrinsics, rectified=rectified[name])))
    if settings.tf_static_topic and (tf_type := tf_message_type()) is not None:
        streams.append(InputStream(settings.tf_static_topic, TF_STATIC, tf_type, transforms))
    return tuple(streams)

