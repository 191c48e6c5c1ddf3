"""Two processes exchange a PointCloud2 and a DiagnosticArray over real rclpy / Fast DDS."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from ros_testing import ros_node, spin_until
from sensor_msgs.msg import PointCloud2, PointField

PEER = Path(__file__).with_name("dds_echo_peer.py")


def _cloud(points: np.ndarray) -> PointCloud2:
    msg = PointCloud2()
    msg.header.frame_id = "lidar"
    msg.header.stamp.sec, msg.header.stamp.nanosec = 12, 345
    msg.height, msg.width = 1, len(points)
    msg.fields = [
        PointField(name=n, offset=4 * i, datatype=PointField.FLOAT32, count=1)
        for i, n in enumerate("xyz")
    ]
    msg.point_step, msg.row_step = 12, 12 * len(points)
    msg.data = points.astype(np.float32).tobytes()
    return msg


def _diagnostics() -> DiagnosticArray:
    status = DiagnosticStatus(
        level=DiagnosticStatus.WARN,
        name="lmd_monitor: lidar contribution",
        message="share below baseline",
        hardware_id="lidar",
        values=[KeyValue(key="share", value="0.12")],
    )
    return DiagnosticArray(status=[status])


def test_cloud_and_diagnostics_cross_processes():
    peer = subprocess.Popen(
        [sys.executable, str(PEER)], env=os.environ.copy(), start_new_session=True
    )
    received: dict[str, object] = {}
    try:
        with ros_node("lmd_roundtrip_test") as (node, executor):
            pubs = {}
            for msg_type, name in ((PointCloud2, "cloud"), (DiagnosticArray, "diagnostics")):
                pubs[name] = node.create_publisher(msg_type, f"/lmd_test/in/{name}", 10)
                node.create_subscription(
                    msg_type, f"/lmd_test/out/{name}",
                    lambda msg, name=name: received.setdefault(name, msg), 10,
                )
            matched = spin_until(
                executor,
                lambda: all(p.get_subscription_count() > 0 for p in pubs.values())
                and all(s.get_publisher_count() > 0 for s in node.subscriptions),
                timeout_s=20.0,
            )
            assert matched, "echo peer never matched our publishers/subscribers"

            points = np.random.default_rng(0).normal(size=(1000, 3))
            pubs["cloud"].publish(_cloud(points))
            pubs["diagnostics"].publish(_diagnostics())
            assert spin_until(executor, lambda: len(received) == 2, timeout_s=10.0), received
    finally:
        os.killpg(peer.pid, signal.SIGINT)
        assert peer.wait(timeout=10) == 0

    cloud = received["cloud"]
    assert (cloud.width, cloud.point_step, cloud.header.frame_id) == (1000, 12, "lidar")
    echoed = np.frombuffer(bytes(cloud.data), dtype=np.float32).reshape(-1, 3)
    np.testing.assert_array_equal(echoed, points.astype(np.float32))
    (status,) = received["diagnostics"].status
    assert (status.level, status.hardware_id) == (DiagnosticStatus.WARN, "lidar")
    assert [(kv.key, kv.value) for kv in status.values] == [("share", "0.12")]
