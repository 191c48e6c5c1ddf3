"""Live parameter changes and the RViz view, against the real monitor node over DDS.

One short simulated drive for the module: `ros2 param set` is exercised through the node's
``set_parameters`` service (what the CLI calls), and the RViz file's topics are compared with
the running node's publishers and subscriptions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest
import yaml
from diagnostic_msgs.msg import DiagnosticArray
from rcl_interfaces.srv import GetParameters, SetParameters
from rclpy.node import Node
from rclpy.parameter import Parameter
from ros_testing import ros_node, spin_until
from sensor_msgs.msg import PointCloud2

from lmd_ros.ros.conversions import pointcloud2_to_array
from lmd_ros.ros.session import DriveScenario, SimulatedDrive

MONITOR = "/lmd_monitor"
RAISED_THRESHOLD = 0.8
SCENARIO = DriveScenario(seed=3, duration_s=24.0,
                         monitor={"score_threshold": 0.3, "warmup_frames": 5})

RVIZ_DISPLAY_CLASSES = frozenset(f"rviz_default_plugins/{name}" for name in (
    "AccelStamped", "Axes", "Camera", "DepthCloud", "Effort", "FluidPressure", "Grid",
    "GridCells", "Illuminance", "Image", "InteractiveMarkers", "LaserScan", "Map", "Marker",
    "MarkerArray", "Odometry", "Path", "PointCloud", "PointCloud2", "PointStamped", "Polygon",
    "Pose", "PoseArray", "PoseWithCovariance", "Range", "RelativeHumidity", "RobotModel",
    "Temperature", "TF", "TwistStamped", "WrenchStamped",
))
"""Display classes of rviz_default_plugins (its plugins_description.xml, ros2/rviz)."""
RVIZ_OTHER_CLASSES = frozenset({
    "rviz_common/Displays", "rviz_common/Views", "rviz_common/Time", "rviz_common/Selection",
    "rviz_common/Tool Properties", "rviz_common/Group",
    *(f"rviz_default_plugins/{name}" for name in (
        "MoveCamera", "Select", "Interact", "FocusCamera", "Measure", "SetInitialPose",
        "SetGoal", "PublishPoint", "Orbit", "XYOrbit", "TopDownOrtho", "FPS",
        "ThirdPersonFollower")),
})
"""Panels, tools and view controllers of rviz_common / rviz_default_plugins."""


@dataclass
class Live:
    node: Node
    executor: object
    session: SimulatedDrive
    scores: list[tuple[float, list[float]]] = field(default_factory=list)

    def call(self, service_type, name: str, request):
        client = self.node.create_client(service_type, f"{MONITOR}/{name}")
        assert spin_until(self.executor, client.service_is_ready, 60), f"no {name} service"
        future = client.call_async(request)
        assert spin_until(self.executor, future.done, 30), f"{name} did not answer"
        self.node.destroy_client(client)
        return future.result()

    def set(self, name: str, value):
        request = SetParameters.Request(parameters=[Parameter(name, value=value)
                                                    .to_parameter_msg()])
        return self.call(SetParameters, "set_parameters", request).results[0]

    def get(self, name: str):
        response = self.call(GetParameters, "get_parameters", GetParameters.Request(names=[name]))
        return Parameter.from_parameter_msg(
            type("P", (), {"name": name, "value": response.values[0]})()).value


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with ros_node("lmd_test_parameters") as (node, executor), \
            SimulatedDrive(SCENARIO, log_dir=tmp_path_factory.mktemp("drive")) as session:
        state = Live(node, executor, session)

        def on_detections(msg: PointCloud2) -> None:
            names = tuple(f.name for f in msg.fields)
            rows = pointcloud2_to_array(msg, names).points if msg.width else []
            state.scores.append((time.monotonic(),
                                 [float(r[names.index("score")]) for r in rows]))

        node.create_subscription(PointCloud2, f"{MONITOR}/detections", on_detections, 50)
        yield state


def test_rviz_file_shows_only_topics_of_the_monitor_and_real_classes(live, repo_root):
    config = yaml.safe_load((repo_root / "rviz" / "monitor.rviz").read_text())
    displays = config["Visualization Manager"]["Displays"]
    classes = {d["Class"] for d in displays}
    assert classes <= RVIZ_DISPLAY_CLASSES, classes - RVIZ_DISPLAY_CLASSES
    others = {p["Class"] for p in config["Panels"]} | \
        {t["Class"] for t in config["Visualization Manager"]["Tools"]} | \
        {config["Visualization Manager"]["Views"]["Current"]["Class"]}
    assert others <= RVIZ_OTHER_CLASSES, others - RVIZ_OTHER_CLASSES
    assert config["Visualization Manager"]["Global Options"]["Fixed Frame"] == "base_link"

    node, executor = live.node, live.executor
    name, namespace = MONITOR.rsplit("/", 1)[1], MONITOR.rsplit("/", 1)[0] or "/"

    def graph() -> tuple[set[str], set[str]]:
        try:
            published = node.get_publisher_names_and_types_by_node(name, namespace)
            subscribed = node.get_subscriber_names_and_types_by_node(name, namespace)
        except Exception:  # not discovered yet
            return set(), set()
        return {t for t, _ in published}, {t for t, _ in subscribed}

    assert spin_until(executor, lambda: f"{MONITOR}/markers" in graph()[0], 60), graph()
    published, subscribed = graph()
    shown = {d["Topic"]["Value"] for d in displays if "Topic" in d}
    resolved = {t if t.startswith("/") else f"{namespace.rstrip('/')}/{t}" for t in shown}
    outputs = {f"{MONITOR}/{n}" for n in ("markers", "detections", "bev_contributions",
                                          "camera_overlay")}
    assert outputs <= resolved, "every image and marker output has a display"
    assert resolved <= published | subscribed, resolved - published - subscribed
    assert {"/lidar/points", "/radar/points"} <= resolved & subscribed


def test_standard_detections_are_published_where_vision_msgs_exists(live):
    vision_msgs = pytest.importorskip(
        "vision_msgs.msg", reason="vision_msgs is not installable from PyPI; runs on ROS machines")
    received = []
    live.node.create_subscription(vision_msgs.Detection3DArray, f"{MONITOR}/detections_3d",
                                  received.append, 10)
    assert spin_until(live.executor, lambda: any(m.detections for m in received), 60)
    detection = next(m for m in received if m.detections).detections[0]
    assert detection.results[0].hypothesis.class_id in ("vehicle", "pedestrian")
    assert 0.3 <= detection.results[0].hypothesis.score <= 1.0
    assert detection.bbox.size.x > 0


def test_an_invalid_value_is_refused_with_its_reason_and_changes_nothing(live):
    result = live.set("error_z", 3.0)  # below warn_z (4)
    assert not result.successful
    assert "error_z" in result.reason and "warn_z" in result.reason, result.reason
    assert live.get("error_z") == pytest.approx(8.0)


def test_a_structural_parameter_is_read_only(live):
    result = live.set("slop", 0.2)
    assert not result.successful
    assert "read-only" in result.reason.lower() or "read only" in result.reason.lower(), \
        result.reason
    assert live.get("slop") == pytest.approx(0.05)


def test_a_shorter_diagnostics_period_recreates_the_timer(live):
    arrivals: list[float] = []
    subscription = live.node.create_subscription(
        DiagnosticArray, "/diagnostics", lambda _: arrivals.append(time.monotonic()), 50)

    def count_over(seconds: float) -> int:
        start = time.monotonic()
        spin_until(live.executor, lambda: time.monotonic() > start + seconds, seconds + 1)
        return sum(1 for t in arrivals if t >= start)

    assert spin_until(live.executor, lambda: len(arrivals) >= 2, 30), "no /diagnostics"
    before = count_over(4.0)  # period 1 s: about 4, plus level changes
    assert live.set("diagnostics_period", 0.2).successful
    after = count_over(4.0)  # period 0.2 s: about 20
    live.node.destroy_subscription(subscription)
    assert live.set("diagnostics_period", 1.0).successful
    assert after >= 10 and after > 1.5 * before, (before, after)


def test_a_raised_score_threshold_reaches_the_published_detections(live):
    executor = live.executor

    def low_scores_seen() -> bool:
        return any(s < RAISED_THRESHOLD for _, scores in live.scores for s in scores)

    assert spin_until(executor, low_scores_seen, 120), "no detection below the new threshold"
    result = live.set("score_threshold", RAISED_THRESHOLD)
    assert result.successful, result.reason
    changed = time.monotonic()
    assert live.get("score_threshold") == pytest.approx(RAISED_THRESHOLD)
    after = lambda: [scores for t, scores in live.scores if t > changed]  # noqa: E731
    # the frame being analysed at the change may still use the old threshold: skip two
    assert spin_until(executor, lambda: len(after()) >= 6, 60), "the monitor stopped publishing"
    later = [s for scores in after()[2:] for s in scores]
    assert later, "no detections after the change"
    assert min(later) >= RAISED_THRESHOLD, sorted(later)[:5]
