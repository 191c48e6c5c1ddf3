"""The real node under input faults no simulator script makes, over real DDS: it must never go
blind while /diagnostics says OK.

One monitor runs for the module, fed hand-made messages (a dozen rendered frames in a loop at
10 Hz, stamped with the wall clock; the front camera is PNG-compressed). Each test first waits
for a healthy state, injects one fault, checks what /diagnostics and ~/detections show, and
restores the inputs.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from monitor_harness import MonitorProcess, SensorFeeder, latest, run_until
from ros_testing import ros_node
from sensor_msgs.msg import CompressedImage, Image
from test_conversions import png_bomb

from lmd_ros.monitor.alarms import Level
from lmd_ros.monitor.settings import MonitorSettings
from lmd_ros.ros.conversions import seconds_to_stamp, stamp_to_seconds
from lmd_ros.ros.observer import MonitorObserver

CAMERAS = ("/camera/front/image_raw/compressed", "/camera/left/image_raw",
           "/camera/right/image_raw", "/camera/rear/image_raw")
PARAMETERS = {
    "camera_topics": list(CAMERAS), "device": "cpu", "warmup_frames": 5, "hold_s": 1.0,
    "clear_s": 1.0, "silent_after_s": 1.0, "warn_z": 15.0, "error_z": 30.0,
}
SETTLE_S = 60.0
"""Start-up (model load, discovery, warm-up) on a loaded 2-core machine."""
FAULT_S = 20.0
"""Time allowed for a fault to show: stale_after + hold_s plus slack for a loaded machine."""


@pytest.fixture(scope="module")
def monitor(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("faults")
    with ros_node("lmd_test_feeder") as (node, executor), \
            MonitorProcess(workdir, PARAMETERS) as process:
        observer = MonitorObserver(context=node.context)
        executor.add_node(observer)
        feeder = SensorFeeder(node, MonitorSettings(camera_topics=CAMERAS))
        assert run_until(executor, feeder, feeder.matched, SETTLE_S), process.log()
        yield executor, feeder, observer, process
        executor.remove_node(observer)
        observer.destroy_node()


def _all_ok(observer) -> bool:
    entries = [latest(observer, m) for m in ("camera", "radar", "lidar")]
    return all(e is not None and e[1] == Level.OK for e in entries)


def _healthy(monitor) -> None:
    executor, feeder, observer, process = monitor
    feeder.tamper = lambda source, message: message
    healthy = lambda: _all_ok(observer) and observer.observation.detections  # noqa: E731
    assert run_until(executor, feeder, healthy, SETTLE_S), (observer.observation.levels,
                                                            process.log())


def _status_shows(observer, sensor: str, level: Level, text: str) -> Callable[[], bool]:
    def shown() -> bool:
        entry = latest(observer, sensor)
        return entry is not None and entry[1] == level and text in entry[2]
    return shown


def _restamped(offset_s: float | None) -> Callable:
    """LiDAR clouds shifted by ``offset_s`` (None: frozen at the first stamp seen)."""
    frozen = {}

    def tamper(source, message):
        if source == "lidar/lidar":
            stamp = stamp_to_seconds(message.header.stamp)
            stamp = frozen.setdefault("stamp", stamp) if offset_s is None else stamp + offset_s
            message.header.stamp = seconds_to_stamp(stamp)
        return message
    return tamper


@pytest.mark.parametrize(("offset_s", "reason"), [
    (600.0, "stamps 600 s ahead of the others"), (None, "stamp not advancing")])
def test_unmatchable_lidar_stamps_are_named_and_the_others_keep_being_analysed(
        monitor, offset_s, reason):
    executor, feeder, observer, process = monitor
    _healthy(monitor)
    feeder.tamper = _restamped(offset_s)
    assert run_until(executor, feeder, _status_shows(observer, "lidar", Level.ERROR, reason),
                     FAULT_S), (observer.observation.levels.get("lidar", [])[-5:], process.log())
    shown = len(observer.observation.detections)
    run_until(executor, feeder, lambda: False, 4.0)
    assert len(observer.observation.detections) - shown >= 4, "analysis stopped"
    for sensor in ("camera", "radar"):
        assert latest(observer, sensor)[1] == Level.OK, observer.observation.levels[sensor][-3:]
    feeder.tamper = lambda source, message: message
    assert run_until(executor, feeder, _status_shows(observer, "lidar", Level.OK, ""),
                     FAULT_S + 10.0), observer.observation.levels["lidar"][-5:]


def test_frames_failing_in_the_model_make_the_pipeline_error_with_the_exception_text(monitor):
    executor, feeder, observer, _ = monitor
    _healthy(monitor)
    small = Image(height=10, width=20, encoding="rgb8", step=60, data=bytes(600))

    def wrong_size(source, message):
        if source == "camera/left":
            small.header = message.header
            return small
        return message
    feeder.tamper = wrong_size
    levels = observer.observation.pipeline_levels
    assert run_until(executor, feeder, lambda: levels and levels[-1][1] == Level.ERROR
                     and "no frame processed" in levels[-1][2], FAULT_S), levels[-3:]
    assert "ValueError: camera 'left': image of 20x10 does not have the aspect" in levels[-1][2]
    keys = observer.observation.pipeline[-1][1]
    assert any(k.startswith("rejected[frame: ValueError: camera 'left'") for k in keys), keys
    assert all(latest(observer, m)[1] != Level.OK for m in ("camera", "radar", "lidar"))
    feeder.tamper = lambda source, message: message
    assert run_until(executor, feeder, lambda: levels[-1][1] != Level.ERROR, FAULT_S)


def test_a_decompression_bomb_is_refused_and_nothing_else_goes_silent(monitor):
    executor, feeder, observer, process = monitor
    bomb = png_bomb(9000, 9000)  # ~1 s to compress: before the inputs are checked healthy
    _healthy(monitor)

    def bombs(source, message):
        if source == "camera/front":
            return CompressedImage(header=message.header, format="png", data=bomb)
        return message
    feeder.tamper = bombs
    start = time.time()
    run_until(executor, feeder, lambda: time.time() - start > 5.0, 10.0)
    published = [stamp for stamp, _ in observer.observation.pipeline if stamp > start]
    keys = observer.observation.pipeline[-1][1]
    assert int(keys.get("rejected[camera/front: image too large]", 0)) >= 10, (
        {k: v for k, v in keys.items() if k.startswith("rejected")}, process.log()[-3000:])
    for sensor in ("camera", "radar", "lidar"):
        levels = [level for stamp, level, _ in observer.observation.levels[sensor]
                  if stamp > start]
        assert Level.ERROR not in levels, (sensor, observer.observation.levels[sensor][-5:])
    assert len(published) >= 4, "the diagnostics timer stalled"
