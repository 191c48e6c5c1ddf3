"""ROS messages ↔ CDR bytes in a bag, and the message definitions of each ROS distribution.

Messages are (de)serialised by rclpy, so the analysis decodes exactly the objects the node's
subscriptions get and the bags it writes hold what a publisher sends. The types lmd_ros reads
and writes have the same wire format in Humble, Jazzy and Kilted (Humble's ``Marker`` only
lacks the ``ARROW_STRIP`` constant); a bag written "for" a distribution embeds that
distribution's definitions from the `rosbags` type store, which its tools then check against.
"""

from __future__ import annotations

import functools
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


@functools.cache
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
    """rclpy's object; for a type this install lacks (a ``bag_only`` stand-in) `rosbags`'."""
    if getattr(msg_class, "bag_only", False):
        return typestore("kilted").deserialize_cdr(raw, type_name(msg_class))
    return deserialize_message(raw, msg_class)


def encode(msg: Any) -> bytes:
    """CDR of an rclpy message, or of a `rosbags` message (for types this install lacks)."""
    if hasattr(msg, "__msgtype__"):
        return typestore("kilted").serialize_cdr(msg, msg.__msgtype__)
    return serialize_message(msg)


def message_type_name(msg: Any) -> str:
    """The ROS type name of an rclpy or `rosbags` message object."""
    return getattr(msg, "__msgtype__", None) or type_name(type(msg))
