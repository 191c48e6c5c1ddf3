"""Writing rclpy messages into a rosbag2 bag (mcap or sqlite3) with the QoS they were sent with.

Connections are added on a topic's first message, so a bag holds exactly the topics written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rosbags.interfaces import (
    Connection,
    Qos,
    QosDurability,
    QosHistory,
    QosLiveliness,
    QosReliability,
    QosTime,
)
from rosbags.rosbag2 import StoragePlugin, Writer

from lmd_ros.bag.cdr import encode, message_type_name, typestore
from lmd_ros.bag.salvage import fill_chunk_crcs

STORAGES: dict[str, StoragePlugin] = {"mcap": StoragePlugin.MCAP,
                                      "sqlite3": StoragePlugin.SQLITE3}


def qos(reliable: bool, depth: int) -> Qos:
    """A volatile keep-last profile, as rosbag2 records it in ``offered_qos_profiles``."""
    never = QosTime(0, 0)
    return Qos(QosHistory.KEEP_LAST, depth,
               QosReliability.RELIABLE if reliable else QosReliability.BEST_EFFORT,
               QosDurability.VOLATILE, never, never, QosLiveliness.AUTOMATIC, never, False)


SENSOR_DATA = qos(reliable=False, depth=5)
"""``rclpy.qos.qos_profile_sensor_data``, which the simulator publishes with."""
PUBLISHER = qos(reliable=True, depth=10)
"""The monitor's output publishers (depth 10, reliable)."""


class BagWriter:
    """Context manager: ``write(topic, msg, time_ns)``; definitions are those of ``distro``."""

    def __init__(self, path: str | Path, storage: str = "mcap", distro: str = "kilted",
                 profile: Qos = PUBLISHER) -> None:
        self._path = Path(path)
        self._writer = Writer(self._path, version=9, storage_plugin=STORAGES[storage])
        self._store = typestore(distro)
        self._profile = profile
        self._connections: dict[str, Connection] = {}
        self.count = 0

    def __enter__(self) -> BagWriter:
        self._writer.open()
        return self

    def __exit__(self, *exc_info) -> None:
        self._writer.close()
        for storage in self._path.glob("*.mcap"):
            fill_chunk_crcs(storage)  # rosbags leaves them 0: a bit flip would go unnoticed

    def write(self, topic: str, msg: Any, time_ns: int) -> None:
        connection = self._connections.get(topic)
        if connection is None:
            connection = self._writer.add_connection(
                topic, message_type_name(msg), typestore=self._store,
                offered_qos_profiles=[self._profile])
            self._connections[topic] = connection
        self._writer.write(connection, time_ns, encode(msg))
        self.count += 1
