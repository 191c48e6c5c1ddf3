"""`lmd_sensor_sim`: publish the synthetic world's sensors on the real topics, with scripted faults.

Frames follow the clock: on each tick the node publishes the frame that belongs to the elapsed
time, so a slow machine skips frames instead of drifting behind. A silent sensor (fault
``<sensor>_silent``) publishes nothing, exactly as a dead driver would.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys

import rclpy
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo, Image, PointCloud2

from lmd_ros.monitor.settings import MonitorSettings
from lmd_ros.ros.conversions import seconds_to_stamp
from lmd_ros.ros.inputs import input_streams
from lmd_ros.ros.sensor_messages import frame_messages
from lmd_ros.ros.spinning import spin_until_shutdown
from lmd_ros.world import Drive, WorldConfig, default_rig, parse_fault

DEFAULTS = MonitorSettings()


class SensorSimNode(Node):
    """Plays one deterministic drive of the synthetic world as ROS sensor topics."""

    def __init__(self) -> None:
        super().__init__("lmd_sensor_sim")
        seed = self._param("seed", 0, "World seed (the drive is deterministic by seed)")
        rate_hz = self._param("rate_hz", 10.0, "Sensor rate (Hz)")
        duration_s = self._param("duration_s", 60.0, "Drive length (s); the node exits after it")
        faults = self._param("faults", [""], "Faults as kind[@camera]@start:end[:severity]")
        camera_topics = self._param("camera_topics", list(DEFAULTS.camera_topics), "Camera topics")
        camera_names = self._param("camera_names", list(DEFAULTS.camera_names), "Camera names")
        radar_topic = self._param("radar_topic", DEFAULTS.radar_topics[0], "Radar topic")
        lidar_topic = self._param("lidar_topic", DEFAULTS.lidar_topics[0], "LiDAR topic")
        start_stamp = self._param(
            "start_stamp", 0.0, "Clock time (s) at which frame 0 plays; 0 = at start-up"
        )

        config = WorldConfig(rate_hz=rate_hz, duration_s=duration_s)
        self._drive = Drive(
            seed=seed,
            config=config,
            rig=default_rig(),
            faults=[parse_fault(text) for text in faults if text],
        )
        rig = self._drive.rig
        settings = dataclasses.replace(
            DEFAULTS, camera_names=tuple(camera_names), camera_topics=tuple(camera_topics),
            radar_names=(rig.radar.name,), radar_topics=(radar_topic,),
            lidar_names=(rig.lidar.name,), lidar_topics=(lidar_topic,))
        streams = [s for s in input_streams(settings) if s.msg_type in (Image, PointCloud2,
                                                                         CameraInfo)]
        self._topics = {s.source: s.topic for s in streams}
        self._publishers = {
            s.topic: self.create_publisher(s.msg_type, s.topic, qos_profile_sensor_data)
            for s in streams
        }
        self._start_ns = int(start_stamp * 1e9) or self.get_clock().now().nanoseconds
        self._last_index = -1
        self.finished = False
        self.create_timer(1.0 / rate_hz, self._tick)
        self.get_logger().info(
            f"playing seed {seed} for {duration_s:.0f} s at {rate_hz:g} Hz, faults: "
            f"{[t for t in faults if t] or 'none'}"
        )

    def _param(self, name: str, default, description: str):
        descriptor = ParameterDescriptor(description=description, read_only=True)
        return self.declare_parameter(name, default, descriptor).value

    def _tick(self) -> None:
        elapsed_s = (self.get_clock().now().nanoseconds - self._start_ns) * 1e-9
        index = math.floor(elapsed_s * self._drive.config.rate_hz)
        if index < 0:
            return
        if index >= len(self._drive):
            self.finished = True
            return
        if index == self._last_index:
            return
        self._last_index = index
        frame, _ = self._drive.frame(index)
        stamp = seconds_to_stamp(self._start_ns * 1e-9 + frame.stamp)
        for topic, message in frame_messages(frame, stamp, self._topics, self._drive.rig):
            self._publishers[topic].publish(message)

def main(argv: list[str] | None = None) -> int:
    args = sys.argv if argv is None else ["lmd_sensor_sim", *argv]
    parser = argparse.ArgumentParser(
        prog="lmd_sensor_sim",
        description="Publish the synthetic world's camera, radar and LiDAR topics. "
        "Set parameters with --ros-args -p seed:=1 -p faults:=['lidar_dropout@10:20'].",
    )
    parser.parse_known_args(rclpy.utilities.remove_ros_args(args)[1:])
    rclpy.init(args=args)
    node = SensorSimNode()
    return spin_until_shutdown(node, lambda: node.finished)


if __name__ == "__main__":
    sys.exit(main())
