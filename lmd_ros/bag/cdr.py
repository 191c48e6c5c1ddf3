"""ROS messages ↔ CDR bytes in a bag, and the message definitions of each ROS distribution.

Messages are (de)serialised by rclpy, so the analysis decodes exactly the objects the node's
subscriptions get and the bags it writes hold what a publisher sends. The types lmd_ros reads
and writes have the same wire format in Humble, Jazzy and Kilted (Humble's ``Marker`` only
lacks the ``ARROW_STRIP`` constant); a bag written "for" a distribution embeds that
distribution's definitions from the `rosbags` type store, which its tools then check against.
"""

from __future__ import annotations

import importlib
from typing import Any

from rclpy.serialization import deserialize_message, serialize_message
from rosbags.typesys import Stores, get_typestore
from rosbags.typesys.store import Typestore

DISTROS: dict[str, Stores] = {
    "kilted": Stores.ROS2_KILTED,
    "jazzy": Stores.ROS2_JAZZY,
    "humble": Stores.ROS2_HUMBLE,
}


def typestore(distro: str) -> Typestore:
    """The message definitions of ``distro`` (one of ``DISTROS``)."""
    return get_typestore(DISTROS[distro])


def type_name(msg_class: type) -> str:
    """``sensor_msgs.msg.Image`` → ``sensor_msgs/msg/Image``."""
    return f"{msg_class.__module__.split('.')[0]}/msg/{msg_class.__name__}"


def message_class(name: str) -> type | None:
    """The installed rclpy class of a type name, or None when this install lacks it."""
    parts = name.split("/")
    if len(parts) != 3:
        return None
    package, kind, cls = parts
    try:
        return getattr(importlib.import_module(f"{package}.{kind}"), cls, None)
    except ImportError:
        return None


def decode(raw: bytes, msg_class: type) -> Any:
    return deserialize_message(raw, msg_class)


def encode(msg: Any) -> bytes:
    return serialize_message(msg)
