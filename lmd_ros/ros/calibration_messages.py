"""Calibration messages → the ROS-free calibration vocabulary: CameraInfo and TFMessage.

Distortion policy: the reference preprocessing is a pinhole model, so a camera's images must be
rectified. A CameraInfo with distortion model ``none``/``plumb_bob``/``rational_polynomial``
and all-zero D is a pinhole (K used). For an image topic that carries rectified images (its
name contains ``rect``, as image_proc publishes them) the rectified projection ``P`` is used
and D is ignored. Any other CameraInfo with non-zero D is refused (counted, with the reason):
undistorting on the monitor would cost more than the model, and a silently distorted camera
would place its evidence wrongly.

``tf2_msgs`` is not on PyPI: where it does not import, ``/tf_static`` is read from bags with the
`rosbags` definitions (`TFMessageFromBag`) and a live node takes extrinsics from the calibration
file only.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from lmd_ros.monitor.rig_sources import CameraIntrinsics
from lmd_ros.ros.conversions import MalformedMessage
from lmd_ros.transforms import StaticTransform, transform_matrix

PINHOLE_MODELS = ("", "none", "plumb_bob", "rational_polynomial", "equidistant")


class TFMessageFromBag:
    """Stands for ``tf2_msgs/msg/TFMessage`` where tf2_msgs is not installed: decoded from bags
    by `rosbags`, never subscribed to."""

    __module__ = "tf2_msgs.msg"
    bag_only = True


TFMessageFromBag.__name__ = "TFMessage"


def tf_message_type() -> type:
    """The installed ``tf2_msgs.msg.TFMessage``, else the bag-only stand-in."""
    try:
        return importlib.import_module("tf2_msgs.msg").TFMessage
    except ImportError:
        return TFMessageFromBag


def camera_info_intrinsics(msg: Any, rectified: bool) -> CameraIntrinsics:
    """A CameraInfo as intrinsics (see the module docstring for distortion)."""
    if msg.width <= 0 or msg.height <= 0:
        raise MalformedMessage("camera_info size", f"{msg.width} x {msg.height}")
    if rectified:
        K = np.asarray(msg.p, np.float64).reshape(3, 4)[:, :3]
    else:
        K = np.asarray(msg.k, np.float64).reshape(3, 3)
        distortion = np.asarray(msg.d, np.float64)
        if msg.distortion_model not in PINHOLE_MODELS or np.any(distortion != 0):
            raise MalformedMessage(
                "camera_info distortion",
                f"model {msg.distortion_model!r} with D = {distortion.tolist()}: subscribe to "
                "rectified images (image_rect) or give a rectified calibration")
    if not (np.isfinite(K).all() and K[0, 0] > 0 and K[1, 1] > 0):
        raise MalformedMessage("camera_info intrinsics", f"K = {K.tolist()}")
    return CameraIntrinsics(int(msg.width), int(msg.height), K, msg.header.frame_id)


def transforms(msg: Any) -> list[StaticTransform]:
    """The transforms of a TFMessage (rclpy or `rosbags` objects: the same fields)."""
    out = []
    for t in msg.transforms:
        tr, q = t.transform.translation, t.transform.rotation
        out.append(StaticTransform(t.header.frame_id, t.child_frame_id,
                                   transform_matrix((tr.x, tr.y, tr.z), (q.x, q.y, q.z, q.w))))
    return out
