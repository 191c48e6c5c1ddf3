"""A rig's extrinsics as a ``/tf_static`` message for bags, built from `rosbags` definitions
(``tf2_msgs`` is not on PyPI, so rclpy cannot build one here; the bytes are the same)."""

from __future__ import annotations

from typing import Any

import numpy as np

from lmd_ros.bag.cdr import typestore
from lmd_ros.sensors import Rig
from lmd_ros.transforms import quaternion_xyzw

TF_STATIC_TOPIC = "/tf_static"


def tf_static_message(rig: Rig, stamp_s: float) -> Any:
    """TFMessage: ego frame → every camera's optical frame and every range sensor's frame."""
    types = typestore("kilted").types
    time = types["builtin_interfaces/msg/Time"](sec=int(stamp_s),
                                               nanosec=round((stamp_s % 1) * 1e9) % 10**9)
    poses = [(c.frame_id, c.T_ego_camera) for c in rig.cameras]
    poses += [(s.frame_id, s.T_ego_sensor) for s in (*rig.lidars, *rig.radars)]
    transforms = []
    for frame_id, T in poses:
        T = np.asarray(T, np.float64)
        x, y, z, w = quaternion_xyzw(T)
        transforms.append(types["geometry_msgs/msg/TransformStamped"](
            header=types["std_msgs/msg/Header"](stamp=time, frame_id=rig.ego_frame),
            child_frame_id=frame_id,
            transform=types["geometry_msgs/msg/Transform"](
                translation=types["geometry_msgs/msg/Vector3"](x=T[0, 3], y=T[1, 3], z=T[2, 3]),
                rotation=types["geometry_msgs/msg/Quaternion"](x=x, y=y, z=z, w=w))))
    return types["tf2_msgs/msg/TFMessage"](transforms=transforms)
