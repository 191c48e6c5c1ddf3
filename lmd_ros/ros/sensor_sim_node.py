"""`lmd_sensor_sim`: publish the synthetic world's sensors on the real topics, with scripted faults.

Rendering a frame (ray-cast LiDAR, four cameras) is slower than 10 Hz on a loaded CPU, so the
whole drive is rendered into memory (~0.6 MB a frame) before the clock starts; playing is then
only publishing, and the announced rate is the delivered one. Frames still follow the clock: on
each tick the node publishes the frame that belongs to the elapsed time, so a stalled process
skips frames (warned, counted, and summed up at the end) instead of drifting behind. A silent
sensor (fault ``<sensor>_silent``) publishes nothing, exactly as a dead driver would.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from pathlib import Path

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
from lmd_ros.world import CONDITIONS, Drive, WorldConfig, condition_config, default_rig, parse_fault

DEFAULTS = MonitorSettings()
TICKS_PER_FRAME = 4


class SensorSimNode(Node):
    """Plays one deterministic drive of the synthetic world as ROS sensor topics."""

    def __init__(self) -> None:
        super().__init__("lmd_sensor_sim")
        seed = self._param("seed", 0, "World seed (the drive is deterministic by seed)")
        rate_hz = self._param("rate_hz", 10.0, "Sensor rate (Hz)")
        duration_s = self._param("duration_s", 60.0, "Drive length (s); the node exits after it")
        faults = self._param("faults", [""], "Faults as kind[@camera]@start:end[:severity]")
        condition = self._param("condition", "day", f"Driving condition: {', '.join(CONDITIONS)}")
        camera_topics = self._param("camera_topics", list(DEFAULTS.camera_topics), "Camera topics")
        camera_names = self._param("camera_names", list(DEFAULTS.camera_names), "Camera names")
        radar_topic = self._param("radar_topic", DEFAULTS.radar_topics[0], "Radar topic")
        lidar_topic = self._param("lidar_topic", DEFAULTS.lidar_topics[0], "LiDAR topic")
        start_stamp = self._param(
            "start_stamp", 0.0, "Earliest clock time (s) at which frame 0 plays; 0 = as soon as "
            "the drive is rendered"
        )
        ready_file = self._param(
            "ready_file", "", "When set, the clock time (s) of frame 0 is written to this file "
            "once the drive is rendered (how a supervisor learns when playing starts)"
        )

        config = condition_config(condition, WorldConfig(rate_hz=rate_hz, duration_s=duration_s))
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
        self._sensor_publishers = {  # not `_publishers`: rclpy's Node owns that attribute
            s.topic: self.create_publisher(s.msg_type, s.topic, qos_profile_sensor_data)
            for s in streams
        }
        started = time.monotonic()
        self._frames = [frame_messages(frame, seconds_to_stamp(frame.stamp), self._topics, rig)
                        for frame, _ in self._drive]
        render_s = time.monotonic() - started
        lead_ns = int(1e9 / rate_hz)  # frame 0 one period from now at the earliest
        now_ns = self.get_clock().now().nanoseconds
        self._start_ns = max(int(start_stamp * 1e9), now_ns + lead_ns)
        if start_stamp and self._start_ns > start_stamp * 1e9:
            self.get_logger().info(
                f"rendering ended {(now_ns * 1e-9 - start_stamp):.1f} s after the requested "
                "start; frame 0 plays now"
            )
        if ready_file:  # written whole, then renamed: a reader never sees half a number
            partial = Path(f"{ready_file}.partial")
            partial.write_text(f"{self._start_ns * 1e-9:.9f}\n")
            partial.replace(ready_file)
        self._last_index = -1
        self._published = 0
        self.finished = False
        # several ticks per frame: a tick's jitter can then never skip a frame
        self.create_timer(1.0 / (TICKS_PER_FRAME * rate_hz), self._tick)
        self.get_logger().info(
            f"rendered {len(self._frames)} frames in {render_s:.1f} s; playing seed {seed} for "
            f"{duration_s:.0f} s at {rate_hz:g} Hz in {condition}, faults: "
            f"{[t for t in faults if t] or 'none'}"
        )

    def _param(self, name: str, default, description: str):
        descriptor = ParameterDescriptor(description=description, read_only=True)
        return self.declare_parameter(name, default, descriptor).value

    def _tick(self) -> None:
        elapsed_s = (self.get_clock().now().nanoseconds - self._start_ns) * 1e-9
        index = math.floor(elapsed_s * self._drive.config.rate_hz)
        if index < 0 or index == self._last_index or self.finished:
            return
        if index >= len(self._frames):
            self._report_rate()
            self.finished = True
            return
        if index > self._last_index + 1:
            self.get_logger().warning(
                f"behind the {self._drive.config.rate_hz:g} Hz clock: skipped frames "
                f"{self._last_index + 1}..{index - 1}", throttle_duration_sec=2.0)
        self._last_index = index
        self._published += 1
        stamp = seconds_to_stamp(self._start_ns * 1e-9 + self._drive.stamp(index))
        for topic, message in self._frames[index]:
            message.header.stamp = stamp
            self._sensor_publishers[topic].publish(message)

    def _report_rate(self) -> None:
        """The achieved rate, next to the announced one; a warning when frames were skipped."""
        rate_hz = self._drive.config.rate_hz
        achieved_hz = self._published / self._drive.config.duration_s
        text = (f"published {self._published} of {len(self._frames)} frames: {achieved_hz:.1f} "
                f"Hz achieved of {rate_hz:g} Hz announced")
        log = self.get_logger()
        (log.warning if self._published < len(self._frames) else log.info)(text)


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
