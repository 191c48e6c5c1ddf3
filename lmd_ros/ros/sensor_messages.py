"""A `SensorFrame` as the sensor messages a vehicle would publish (the simulator's wire format).

Frame ids follow the calibration (``camera_<name>_optical``, the range sensors' frame ids);
every camera also has a ``CameraInfo`` beside its image topic. Bags made from the synthetic world
and live simulator topics therefore carry identical messages.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from builtin_interfaces.msg import Time
from sensor_msgs.msg import CameraInfo, Image, PointCloud2
from std_msgs.msg import Header

from lmd_ros.monitor.core import CAMERA_INFO_PREFIX, CAMERA_PREFIX
from lmd_ros.ros.conversions import array_to_pointcloud2, rgb_to_image
from lmd_ros.sensors import LIDAR_FIELDS, RADAR_FIELDS, CameraCalibration, Rig, SensorFrame


def frame_messages(frame: SensorFrame, stamp: Time, topics: Mapping[str, str], rig: Rig
                   ) -> list[tuple[str, Image | PointCloud2 | CameraInfo]]:
    """(topic, message) for every sensor that has data in ``frame`` and a topic in ``topics``
    (core sources → topic names), each camera's image preceded by its CameraInfo.

    The world renders one radar and one LiDAR: ``rig.radar`` and ``rig.lidar``.
    """
    messages: list[tuple[str, Image | PointCloud2 | CameraInfo]] = []
    for name, image in frame.images.items():
        camera = rig.camera(name)
        if (topic := topics.get(CAMERA_INFO_PREFIX + name)) is not None:
            messages.append((topic, camera_info_message(camera, stamp)))
        if (topic := topics.get(CAMERA_PREFIX + name)) is not None:
            messages.append((topic, rgb_to_image(image, stamp, camera.frame_id)))
    clouds = (("radar", rig.radars, frame.radar, RADAR_FIELDS),
              ("lidar", rig.lidars, frame.lidar, LIDAR_FIELDS))
    for kind, sensors, points, fields in clouds:
        if points is not None and sensors and \
                (topic := topics.get(f"{kind}/{sensors[0].name}")) is not None:
            messages.append((topic, array_to_pointcloud2(points, fields, stamp,
                                                         sensors[0].frame_id)))
    return messages


def camera_info_message(camera: CameraCalibration, stamp: Time) -> CameraInfo:
    """A rectified pinhole CameraInfo (D = 0) of the camera's calibration."""
    K = np.asarray(camera.K, np.float64)
    P = np.zeros((3, 4))
    P[:, :3] = K
    return CameraInfo(header=Header(stamp=stamp, frame_id=camera.frame_id),
                      width=camera.width, height=camera.height, distortion_model="plumb_bob",
                      d=[0.0] * 5, k=K.ravel().tolist(), r=np.eye(3).ravel().tolist(),
                      p=P.ravel().tolist())
