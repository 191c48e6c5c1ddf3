"""`lmd_monitor`: the live node. Sensors in; contributions, overlays and alarms out.

Threads: subscription callbacks only convert and synchronise (cheap); a worker thread hands the
newest complete set to the analysis child process (model + decomposition, see
`analysis_process`) and waits for its answer without holding the GIL, so callbacks and the
diagnostics timer are never starved, and a slow model skips sets (counted) instead of growing a
queue. All `MonitorCore` state is touched under one lock; the analysis runs outside it.
"""

from __future__ import annotations

import itertools
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rcl_interfaces.msg import ParameterDescriptor, SetParametersResult
from rclpy._rclpy_pybind11 import RCLError
from rclpy.exceptions import NameValidationException
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image, PointCloud2
from visualization_msgs.msg import MarkerArray

from lmd_ros.monitor import runtime_settings
from lmd_ros.monitor.alarms import AlarmEvent
from lmd_ros.monitor.analysis_process import AnalysisDied, AnalysisProcess, FrameFailed
from lmd_ros.monitor.assembly import build_core
from lmd_ros.monitor.core import TF_STATIC, TICK_S, FrameRecord, failure_reason, is_calibration
from lmd_ros.monitor.settings import DESCRIPTIONS, InvalidSetting, MonitorSettings
from lmd_ros.monitor.synchronizer import SyncedSet
from lmd_ros.ros.conversions import MalformedMessage, seconds_to_stamp
from lmd_ros.ros.diagnostics import diagnostics_message
from lmd_ros.ros.inputs import InputStream, input_streams
from lmd_ros.ros.outputs import Detection3DArray, frame_outputs, standard_outputs
from lmd_ros.ros.spinning import spin_until_shutdown


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
        self._analysis: AnalysisProcess | None = None
        super().__init__("lmd_monitor")
        self.settings = self._declare_settings()
        self.core = build_core(self.settings)
        self._analysis = AnalysisProcess(self.settings)
        self._lock = threading.Lock()
        self._rate_window = (self._now(), 0)
        self._subscribe()
        standard = () if Detection3DArray is None else (("detections_3d", Detection3DArray),)
        self._outputs = {
            name: self.create_publisher(msg_type, f"~/{name}", 10)
            for name, msg_type in (("detections", PointCloud2), ("markers", MarkerArray),
                                   ("bev_contributions", Image), ("camera_overlay", Image),
                                   *standard)
        }
        self._diagnostics = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_timer(TICK_S, self._tick)
        self._diagnostics_timer = self.create_timer(self.settings.diagnostics_period,
                                                    self._publish_diagnostics)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self._worker = threading.Thread(target=self._work, name="lmd_worker", daemon=True)
        self._worker.start()
        self.get_logger().info(
            f"monitoring {list(self.core.sources)} with a {'+'.join(self.core.modalities)} "
            f"model on {self.core.attributor.device}"
        )

    def _declare_settings(self) -> MonitorSettings:
        """Declare every setting; the types are checked by `MonitorSettings` (dynamic typing
        here, so that ``slop:=abc`` is one line naming ``slop``, not rclpy's traceback, and
        ``slop:=1`` is accepted as 1.0). A parameter given for this node that it does not
        declare (``sloop:=0.1``) is refused, not ignored."""
        defaults = MonitorSettings()
        values = {}
        for name, default in vars(defaults).items():
            descriptor = ParameterDescriptor(
                description=runtime_settings.describe(name, DESCRIPTIONS[name]),
                read_only=not runtime_settings.is_dynamic(name), dynamic_typing=True)
            value = list(default) if isinstance(default, tuple) else default
            values[name] = self.declare_parameter(name, value, descriptor).value
        unknown = sorted(name for name in self._parameter_overrides
                         if not self.has_parameter(name))
        if unknown:
            raise InvalidSetting(unknown[0], f"unknown parameter; known: {sorted(values)}",
                                 self._parameter_overrides[unknown[0]].value)
        return MonitorSettings.from_parameters(values)

    _calibration_qos = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=100,
                                  reliability=ReliabilityPolicy.RELIABLE,
                                  durability=DurabilityPolicy.TRANSIENT_LOCAL)
    """/tf_static is latched: a late joiner still gets every transform."""

    def _on_set_parameters(self, parameters) -> SetParametersResult:
        """``ros2 param set``: validated as at start; a refused value changes nothing."""
        try:
            settings = runtime_settings.updated_settings(
                self.settings, {p.name: p.value for p in parameters})
        except InvalidSetting as error:
            return SetParametersResult(successful=False, reason=str(error))
        with self._lock:
            runtime_settings.apply(self.core, settings)
            self.settings = settings
        self._diagnostics_timer.timer_period_ns = settings.diagnostics_period * 1e9
        self.get_logger().info(f"parameters changed: {[p.name for p in parameters]}")
        return SetParametersResult(successful=True)

    def _subscribe(self) -> None:
        qos = QoSProfile(
            history=HistoryPolicy.KEEP_LAST,
            depth=self.settings.qos_depth,
            reliability=ReliabilityPolicy.BEST_EFFORT
            if self.settings.qos_reliability == "best_effort" else ReliabilityPolicy.RELIABLE,
        )
        for stream in input_streams(self.settings):
            if getattr(stream.msg_type, "bag_only", False):
                self.get_logger().warning(
                    f"{stream.topic}: {stream.msg_type.__module__} is not installed, so "
                    "extrinsics come from the calibration file only")
                continue
            self.create_subscription(stream.msg_type, stream.topic, self._callback(stream),
                                     self._calibration_qos if stream.source == TF_STATIC else qos)

    def _callback(self, stream: InputStream) -> Callable:
        calibration = is_calibration(stream.source)

        def on_message(msg) -> None:
            now = self._now()
            if now == 0.0 and not calibration:  # sim time before the first /clock: no time to
                return                          # judge staleness by (calibration needs none)
            try:
                stamp, data, frame_id = stream.read(msg)
            except MalformedMessage as error:
                with self._lock:
                    self.core.reject(stream.source, error.category)
                self.get_logger().warning(f"rejected {stream.source} message: {error}",
                                          throttle_duration_sec=5.0)
                return
            with self._lock:
                sets = self.core.ingest(stream.source, stamp, data, now, frame_id)
            self._dispatch(sets)
        return on_message

    def _dispatch(self, sets: list[SyncedSet]) -> None:
        for synced in sets:
            if self._mailbox.put(synced):
                with self._lock:
                    self.core.skipped_sets += 1

    def _tick(self) -> None:
        now = self._now()
        if now == 0.0:  # sim time before the first /clock
            return
        with self._lock:
            sets, events = self.core.tick(now)
        self._dispatch(sets)
        self._report(events)

    def _work(self) -> None:
        while (synced := self._mailbox.take()) is not None:
            try:
                with self._lock:
                    frame, rig = self.core.prepare(synced)
                    limits = (self.core.attributor.score_threshold,
                              self.core.attributor.max_detections)
                attribution = self._analysis.analyse(frame, rig, limits)
                with self._lock:
                    record = self.core.record(attribution, self._now())
                self._publish(record, synced)
            except Exception as error:  # one bad frame must not stop the monitor
                if self._mailbox.closed:
                    return
                reason = str(error) if isinstance(error, (FrameFailed, AnalysisDied)) \
                    else failure_reason(error)
                self.get_logger().error(f"frame {synced.stamp:.3f} failed: {reason}",
                                        throttle_duration_sec=5.0)
                with self._lock:
                    self.core.frame_failed(reason)

    def _publish(self, record: FrameRecord, synced: SyncedSet) -> None:
        messages = frame_outputs(self.core, record, synced) | \
            standard_outputs(self.core, record)
        for name, message in messages.items():
            self._outputs[name].publish(message)
        self._report(record.events)

    def _report(self, events: list[AlarmEvent]) -> None:
        """Log each level change once (recoveries at INFO) and publish them at once."""
        for event in events:
            text = f"{event.sensor}: {event.old.name} -> {event.new.name} ({event.reason})"
            if event.new < event.old:
                self.get_logger().info(text)
            else:
                self.get_logger().warning(text)
        if events:
            self._publish_diagnostics()

    def _publish_diagnostics(self) -> None:
        now = self._now()
        with self._lock:
            since, processed = self._rate_window
            rate = (self.core.processed - processed) / (now - since) if now > since else None
            if now - since >= self.settings.diagnostics_period:
                self._rate_window = (now, self.core.processed)
            message = diagnostics_message(self.core, seconds_to_stamp(now), rate,
                                          {"analysis_restarts": self._analysis.restarts})
        self._diagnostics.publish(message)

    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def destroy_node(self) -> None:
        self._mailbox.close()
        if self._analysis is not None:
            self._analysis.close()
        if self._worker is not None:
            self._worker.join(timeout=5.0)
        super().destroy_node()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv if argv is None else ["lmd_monitor", *argv]
    if "--help" in args or "-h" in args:
        print("usage: lmd_monitor [--ros-args -p name:=value ... | --params-file FILE]\n\n"
              "The lmd_ros monitor node; parameters are described in config/monitor.yaml.")
        return 0
    unreadable = [path for flag, path in itertools.pairwise(args)
                  if flag == "--params-file" and not Path(path).is_file()]
    if unreadable:  # checked before rcl, which would log its own lines first
        return _refuse(ValueError(f"params file {unreadable[0]} does not exist or is not a file"))
    try:
        rclpy.init(args=args)
    except RCLError as error:  # e.g. a --params-file that is not YAML
        return _refuse(error)
    try:
        node = MonitorNode()
    except (InvalidSetting, ValueError, NameValidationException) as error:
        rclpy.try_shutdown()
        return _refuse(error)
    return spin_until_shutdown(node)


def _refuse(error: Exception) -> int:
    """One line, exit code 2: a bad configuration is the user's to fix, not a crash."""
    rclpy.logging.get_logger("lmd_monitor").fatal(
        "invalid configuration: " + " ".join(str(error).split()))
    return 2


if __name__ == "__main__":
    sys.exit(main())
