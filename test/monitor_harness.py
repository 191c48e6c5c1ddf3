"""Drive the real monitor node over DDS with hand-made sensor messages (faults the simulator has
no script for: bad stamps, wrong image sizes, bombs), and watch what it publishes."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from PIL import Image as PILImage
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import CompressedImage, Image, PointCloud2

from lmd_ros.monitor.core import sensor_kind, source_topics
from lmd_ros.monitor.settings import NODE_NAME, MonitorSettings
from lmd_ros.ros.conversions import image_to_rgb, seconds_to_stamp
from lmd_ros.ros.observer import MonitorObserver
from lmd_ros.ros.sensor_messages import frame_messages
from lmd_ros.world import Drive, WorldConfig, default_rig

RATE_HZ = 10.0


class MonitorProcess:
    """``lmd_monitor`` as a subprocess in its own process group, stopped with SIGINT."""

    def __init__(self, workdir: Path, parameters: dict, extra_args: tuple[str, ...] = ()) -> None:
        self.log_path = workdir / "monitor.log"
        params = workdir / "monitor.yaml"
        params.write_text(yaml.safe_dump({NODE_NAME: {"ros__parameters": parameters}}))
        self.args = [sys.executable, "-m", "lmd_ros.ros.monitor_node", "--ros-args",
                     "--params-file", str(params), *extra_args]
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> MonitorProcess:
        self.process = subprocess.Popen(
            self.args, stdout=self.log_path.open("w"), stderr=subprocess.STDOUT,
            start_new_session=True, env=os.environ.copy())
        return self

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self, timeout_s: float = 15.0) -> tuple[int, float]:
        """SIGINT to the group; (exit code, seconds it took)."""
        assert self.process is not None
        started = time.monotonic()
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            code = self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            code = self.process.wait()
        return code, time.monotonic() - started

    def __exit__(self, *exc_info) -> None:
        self.stop()


class SensorFeeder:
    """Publishes a few pre-rendered frames of the synthetic world in a loop at ``RATE_HZ``,
    stamped with the wall clock; ``tamper(source, message)`` may change or replace a message
    (return None to withhold it)."""

    def __init__(self, node, settings: MonitorSettings, frames: int = 12, seed: int = 2) -> None:
        self.topics = source_topics(settings)
        drive = Drive(seed=seed, config=WorldConfig(rate_hz=RATE_HZ, duration_s=frames / RATE_HZ),
                      rig=default_rig())
        self._rig = drive.rig
        self._frames = [drive.frame(i)[0] for i in range(frames)]
        self._publishers = {
            topic: node.create_publisher(_message_type(topic, source), topic,
                                         qos_profile_sensor_data)
            for source, topic in self.topics.items()
        }
        self._sources = {topic: source for source, topic in self.topics.items()}
        self._next = time.time()
        self._index = 0
        self.tamper: Callable = lambda source, message: message

    def matched(self) -> bool:
        return all(p.get_subscription_count() > 0 for p in self._publishers.values())

    def publish_due(self) -> None:
        """Publish the next frame if its time has come (call it from the spin loop)."""
        now = time.time()
        if now < self._next:
            return
        self._next = max(self._next + 1 / RATE_HZ, now)
        frame = self._frames[self._index % len(self._frames)]
        self._index += 1
        for topic, message in frame_messages(frame, seconds_to_stamp(now), self.topics,
                                             self._rig):
            if topic.endswith("/compressed"):
                message = as_png(message)
            message = self.tamper(self._sources[topic], message)
            if message is not None:
                self._publishers[topic].publish(message)


def _message_type(topic: str, source: str) -> type:
    if sensor_kind(source) in ("radar", "lidar"):
        return PointCloud2
    return CompressedImage if topic.endswith("/compressed") else Image


def as_png(image: Image) -> CompressedImage:
    buffer = io.BytesIO()
    PILImage.fromarray(image_to_rgb(image)).save(buffer, format="PNG")
    return CompressedImage(header=image.header, format="png", data=buffer.getvalue())


def run_until(executor, feeder: SensorFeeder, done: Callable[[], bool], timeout_s: float) -> bool:
    """Keep feeding and spinning until ``done()`` or the timeout."""
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            return False
        feeder.publish_due()
        executor.spin_once(timeout_sec=0.01)
    return True


def latest(observer: MonitorObserver, sensor: str):
    """The sensor's newest (stamp, level, message) or None."""
    entries = observer.observation.levels.get(sensor)
    return entries[-1] if entries else None
