"""A `SensorFrame` as the sensor messages a vehicle would publish (the simulator's wire format).

Frame ids follow the calibration: ``camera_<name>_optical``, ``radar`` and ``lidar``. Bags made
from the synthetic world and live simulator topics therefore carry identical messages.
"""

from __future__ import annotations

from collections.abc import Mapping

from builtin_interfaces.msg import Time
from sensor_msgs.msg import Image, PointCloud2

from lmd_ros.monitor.core import CAMERA_PREFIX
from lmd_ros.ros.conversions import array_to_pointcloud2, rgb_to_image
from lmd_ros.sensors import LIDAR_FIELDS, RADAR_FIELDS, SensorFrame


def frame_messages(
    frame: SensorFrame, stamp: Time, topics: Mapping[str, str]
) -> list[tuple[str, Image | PointCloud2]]:
    """(topic, message) for every sensor that has data in ``frame`` and a topic in ``topics``.

    ``topics`` maps core sources (``camera/<name>``, ``radar``, ``lidar``) to topic names.
    """
    messages: list[tuple[str, Image | PointCloud2]] = []
    for name, image in frame.images.items():
        if (topic := topics.get(CAMERA_PREFIX + name)) is not None:
            messages.append((topic, rgb_to_image(image, stamp, f"camera_{name}_optical")))
    clouds = (("radar", frame.radar, RADAR_FIELDS), ("lidar", frame.lidar, LIDAR_FIELDS))
    for source, points, fields in clouds:
        if points is not None and (topic := topics.get(source)) is not None:
            messages.append((topic, array_to_pointcloud2(points, fields, stamp, source)))
    return messages
