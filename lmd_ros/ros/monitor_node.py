"""`lmd_monitor`: the live node. Sensors in; contributions, overlays and alarms out.

Threads: subscription callbacks only convert and synchronise (cheap); a worker thread runs the
model + decomposition on the newest complete set, so callbacks never block and a slow model
skips sets (counted) instead of growing a queue. All `MonitorCore` state is touched under one
lock; the heavy `analyse` runs outside it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

import rclpy
import torch
from diagnostic_msgs.msg import DiagnosticArray
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CompressedImage, Image, PointCloud2
from visualization_msgs.msg import MarkerArray

from lmd_ros.calibration import load_rig
from lmd_ros.model.checkpoint import check_compatible, load_model
from lmd_ros.monitor.attribution import Attributor
from lmd_ros.monitor.core import CAMERA_PREFIX, FrameRecord, MonitorCore
from lmd_ros.monitor.render import camera_overlay
from lmd_ros.monitor.settings import DESCRIPTIONS, InvalidSetting, MonitorSettings
from lmd_ros.monitor.synchronizer import SyncedSet
from lmd_ros.ros.conversions import (
    MalformedMessage,
    compressed_image_to_rgb,
    image_to_rgb,
    pointcloud2_to_array,
    rgb_to_image,
    seconds_to_stamp,
    stamp_to_seconds,
)
from lmd_ros.ros.diagnostics import diagnostics_message
from lmd_ros.ros.outputs import (
    bev_image_message,
    detections_message,
    markers_message,
)
from lmd_ros.ros.spinning import spin_until_shutdown
from lmd_ros.sensors import LIDAR_FIELDS, RADAR_FIELDS

TICK_S = 0.05
"""How often stale sources are flushed and silence is checked."""


def resolve_device(device: str) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InvalidSetting("device", "CUDA is not available on this machine", device)
    return device


class LatestSet:
    """A one-slot mailbox: the worker always takes the newest set; older ones are skipped."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._set: SyncedSet | None = None
        self.closed = False

    def put(self, synced: SyncedSet) -> bool:
        """Store ``synced``; True when it replaced a set the worker never took."""
        with self._condition:
            replaced = self._set is not None
            self._set = synced
            self._condition.notify()
            return replaced

    def take(self) -> SyncedSet | None:
        """Block until a set arrives (None once closed)."""
        with self._condition:
            self._condition.wait_for(lambda: self._set is not None or self.closed)
            synced, self._set = self._set, None
            return synced

    def close(self) -> None:
        with self._condition:
            self.closed = True
            self._condition.notify_all()


class MonitorNode(Node):
    """Declares its parameters with descriptors, validates them, then wires the core to ROS."""

    def __init__(self) -> None:
        self._mailbox = LatestSet()
        self._worker: threading.Thread | None = None
        super().__init__("lmd_monitor")
        self.settings = self._declare_settings()
        rig = load_rig(self.settings.calibration_file)
        model = load_model(self.settings.checkpoint or None)
        check_compatible(model.config, rig)
        if tuple(model.config.camera_names) != self.settings.camera_names and \
                "camera" in model.config.modalities:
            raise InvalidSetting("camera_names", f"the model expects {model.config.camera_names}",
                                 self.settings.camera_names)
        device = resolve_device(self.settings.device)
        attributor = Attributor(model, rig, device, self.settings.score_threshold,
                                self.settings.max_detections)
        self.core = MonitorCore(self.settings, attributor)
        self._rig = rig
        self._lock = threading.Lock()
        self._rate_window = (self._now(), 0)
        self._subscribe()
        self._detections = self.create_publisher(PointCloud2, "~/detections", 10)
        self._markers = self.create_publisher(MarkerArray, "~/markers", 10)
        self._bev = self.create_publisher(Image, "~/bev_contributions", 10)
        self._overlay = self.create_publisher(Image, "~/camera_overlay", 10)
        self._diagnostics = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_timer(TICK_S, self._tick)
        self.create_timer(self.settings.diagnostics_period, self._publish_diagnostics)
        self._worker = threading.Thread(target=self._work, name="lmd_worker", daemon=True)
        self._worker.start()
        self.get_logger().info(
            f"monitoring {list(self.core.sources)} with a {'+'.join(self.core.modalities)} "
            f"model on {device}"
        )

    def _declare_settings(self) -> MonitorSettings:
        defaults = MonitorSettings()
        values = {}
        for name, default in vars(defaults).items():
            descriptor = ParameterDescriptor(description=DESCRIPTIONS[name], read_only=True)
            value = list(default) if isinstance(default, tuple) else default
            values[name] = self.declare_parameter(name, value, descriptor).value
        return MonitorSettings.from_parameters(values)

    def _subscribe(self) -> None:
        qos = QoSProfile(
            history=HistoryPolicy.KEEP_LAST,
            depth=self.settings.qos_depth,
            reliability=ReliabilityPolicy.BEST_EFFORT
            if self.settings.qos_reliability == "best_effort" else ReliabilityPolicy.RELIABLE,
        )
        cameras = self.settings.camera_names if "camera" in self.core.modalities else ()
        for name, topic in zip(cameras, self.settings.camera_topics, strict=False):
            compressed = topic.endswith("/compressed")
            self.create_subscription(
                CompressedImage if compressed else Image, topic,
                self._callback(CAMERA_PREFIX + name,
                               compressed_image_to_rgb if compressed else image_to_rgb),
                qos,
            )
        clouds = {"radar": (self.settings.radar_topic, RADAR_FIELDS),
                  "lidar": (self.settings.lidar_topic, LIDAR_FIELDS)}
        for modality, (topic, fields) in clouds.items():
            if modality in self.core.modalities:
                def convert(msg, fields=fields):
                    return pointcloud2_to_array(msg, fields[:3], fields[3:]).points
                self.create_subscription(PointCloud2, topic, self._callback(modality, convert),
                                         qos)

    def _callback(self, source: str, convert: Callable) -> Callable:
        def on_message(msg) -> None:
            now = self._now()
            try:
                data = convert(msg)
            except MalformedMessage as error:
                with self._lock:
                    self.core.reject(source, error.category)
                self.get_logger().warning(f"rejected {source} message: {error}",
                                       throttle_duration_sec=5.0)
                return
            with self._lock:
                sets = self.core.ingest(source, stamp_to_seconds(msg.header.stamp), data, now)
            self._dispatch(sets)
        return on_message

    def _dispatch(self, sets: list[SyncedSet]) -> None:
        for synced in sets:
            if self._mailbox.put(synced):
                with self._lock:
                    self.core.skipped_sets += 1

    def _tick(self) -> None:
        with self._lock:
            sets, events = self.core.tick(self._now())
        self._dispatch(sets)
        if events:
            self._publish_diagnostics()

    def _work(self) -> None:
        while (synced := self._mailbox.take()) is not None:
            try:
                attribution = self.core.analyse(synced)
                with self._lock:
                    record = self.core.record(attribution, self._now())
                self._publish(record, synced)
            except Exception as error:  # one bad frame must not stop the monitor
                self.get_logger().error(f"frame {synced.stamp:.3f} failed: {error!r}")
                with self._lock:
                    self.core.reject("frame", type(error).__name__)

    def _publish(self, record: FrameRecord, synced: SyncedSet) -> None:
        result = record.attribution
        stamp = seconds_to_stamp(result.stamp)
        frame_id = self.settings.bev_frame
        self._detections.publish(detections_message(result, stamp, frame_id))
        class_names = self.core.attributor.model.config.class_names
        self._markers.publish(markers_message(result, stamp, frame_id, class_names))
        self._bev.publish(bev_image_message(result, stamp, frame_id))
        if self.settings.publish_camera_overlay:
            self._publish_overlay(result, synced, stamp)
        if record.events:
            for event in record.events:
                self.get_logger().warning(
                    f"{event.sensor}: {event.old.name} -> {event.new.name} ({event.reason})"
                )
            self._publish_diagnostics()

    def _publish_overlay(self, result, synced: SyncedSet, stamp) -> None:
        for camera in self._rig.cameras:
            image = synced.messages.get(CAMERA_PREFIX + camera.name)
            if image is not None:
                overlay = camera_overlay(image, camera, result.detections, result.shares,
                                         result.modalities)
                self._overlay.publish(rgb_to_image(overlay, stamp, f"camera_{camera.name}_optical"))
                return

    def _publish_diagnostics(self) -> None:
        now = self._now()
        with self._lock:
            since, processed = self._rate_window
            rate = (self.core.processed - processed) / (now - since) if now > since else None
            if now - since >= self.settings.diagnostics_period:
                self._rate_window = (now, self.core.processed)
            message = diagnostics_message(self.core, seconds_to_stamp(now), rate)
        self._diagnostics.publish(message)

    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def destroy_node(self) -> None:
        self._mailbox.close()
        if self._worker is not None:
            self._worker.join(timeout=5.0)
        super().destroy_node()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv if argv is None else ["lmd_monitor", *argv]
    if "--help" in args or "-h" in args:
        print("usage: lmd_monitor [--ros-args -p name:=value ... | --params-file FILE]\n\n"
              "The lmd_ros monitor node; parameters are described in config/monitor.yaml.")
        return 0
    rclpy.init(args=args)
    try:
        node = MonitorNode()
    except (InvalidSetting, ValueError) as error:
        rclpy.logging.get_logger("lmd_monitor").fatal(f"invalid configuration: {error}")
        rclpy.try_shutdown()
        return 2
    return spin_until_shutdown(node)


if __name__ == "__main__":
    sys.exit(main())
