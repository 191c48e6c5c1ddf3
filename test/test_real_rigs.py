"""Real vehicles' sensors: aliased fields, units, several LiDARs and radars, frame ids, any camera
size, and a six-camera rig analysed from its bag's camera_info and /tf_static alone."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import yaml
from sensor_msgs.msg import Image
from test_bag_support import WORKDIR, columns, rewrite

from lmd_ros.bag.analysis import AnalysisOptions, analyse_bag
from lmd_ros.bag.analyze import main as analyze_main
from lmd_ros.bag.cdr import decode, encode
from lmd_ros.bag.make_bag import CALIBRATION, make_bag
from lmd_ros.calibration import save_rig
from lmd_ros.monitor.assembly import build_core
from lmd_ros.monitor.rig_settings import settings_for_rig
from lmd_ros.monitor.settings import MonitorSettings
from lmd_ros.ros.conversions import array_to_pointcloud2, seconds_to_stamp
from lmd_ros.ros.diagnostics import diagnostics_message
from lmd_ros.ros.inputs import input_streams
from lmd_ros.sensors import SensorCalibration
from lmd_ros.world import Drive, default_rig, six_camera_rig
from lmd_ros.world.rig import pose

STAMP = seconds_to_stamp(100.0)


def _stream(settings: MonitorSettings, source: str):
    return next(s for s in input_streams(settings) if s.source == source)


def _statuses(core, now: float) -> dict[str, object]:
    message = diagnostics_message(core, seconds_to_stamp(now), None)
    return {s.name.split(": ", 1)[1]: s for s in message.status}


def test_aliased_radar_fields_are_read_with_their_scales():
    points = np.array([[5.0, 1.0, 0.2, 12.0, -3.0]], np.float32)
    msg = array_to_pointcloud2(points, ("x", "y", "z", "RCS", "v_r"), STAMP, "radar")
    settings = MonitorSettings(radar_velocity_scale=0.5)
    _, reading, frame_id = _stream(settings, "radar/radar").read(msg)
    np.testing.assert_array_equal(reading.points, np.float32([[5.0, 1.0, 0.2, 12.0, -1.5]]))
    assert reading.missing == () and frame_id == "radar"


def test_a_missing_field_and_a_0_to_255_intensity_raise_one_inputs_warning_each():
    core = build_core(MonitorSettings())
    lidar = Drive(seed=2).frame(0)[0].lidar.copy()
    lidar[:, 3] *= 255.0
    stream = _stream(core.settings, "lidar/lidar")
    for _ in range(3):
        core.ingest("lidar/lidar", *stream.read(array_to_pointcloud2(
            lidar, ("x", "y", "z", "intensity"), STAMP, "lidar"))[:2], 100.0, "lidar")
    no_rcs = np.zeros((4, 4), np.float32)
    radar = _stream(core.settings, "radar/radar").read(
        array_to_pointcloud2(no_rcs, ("x", "y", "z", "v_radial"), STAMP, "radar"))
    core.ingest("radar/radar", radar[0], radar[1], 100.0, radar[2])
    inputs = _statuses(core, 100.1)["inputs"]
    assert inputs.level == b"\x01"
    values = {kv.key: kv.value for kv in inputs.values}
    assert "intensity observed in [" in values["lidar/lidar: intensity"]
    assert "the model expects [0, 1] (check lidar_intensity_scale)" in \
        values["lidar/lidar: intensity"]
    assert "no field for rcs" in values["radar/radar: rcs"]
    assert len(core.inputs.notes) == 2  # raised once, not per message


@pytest.fixture(scope="module")
def two_of_each(tmp_path_factory):
    """A rig with two LiDARs and two radars in a calibration file."""
    rig = default_rig()
    rig = dataclasses.replace(
        rig, lidars=(rig.lidar, SensorCalibration("rear_lidar", pose(np.eye(3), (-1, 0, 1)))),
        radars=(rig.radar, SensorCalibration("rear_radar", pose(np.eye(3), (-1, 0, 0.5)))))
    path = tmp_path_factory.mktemp("rig") / "two_of_each.yaml"
    save_rig(rig, path)
    return MonitorSettings(
        calibration_file=str(path), lidar_names=("lidar", "rear_lidar"),
        lidar_topics=("/lidar/points", "/lidar/rear/points"), radar_names=("radar", "rear_radar"),
        radar_topics=("/radar/points", "/radar/rear/points"))


def test_two_lidars_merge_and_a_silent_radar_of_two_is_named(two_of_each):
    core = build_core(two_of_each)
    frame = Drive(seed=1).frame(0)[0]
    rear_points = np.array([[3.0, 0.0, 0.0, 0.4]], np.float32)
    sets = []
    for t in (10.0, 10.1):
        for source in core.sources:
            if source.startswith("camera/"):
                data = frame.images[source.split("/")[1]]
            elif source == "lidar/rear_lidar":
                data = rear_points
            elif source == "radar/rear_radar":
                continue  # this radar is silent
            else:
                data = frame.lidar if source.startswith("lidar") else frame.radar
            sets += core.ingest(source, t, data, t)
    synced = sets + core.tick(10.55)[0]  # the silent radar is stale: sets go on without it
    assert len(synced) == 2
    assembled = core.frame(synced[0], core.rig)
    assert len(assembled.lidar) == len(frame.lidar) + 1
    ego = assembled.lidar[-1, :3] + core.rig.lidar.T_ego_sensor[:3, 3]
    np.testing.assert_allclose(ego, [2.0, 0.0, 1.0], atol=1e-5)  # 3 m ahead of the rear LiDAR
    assert "silent" not in _statuses(core, 10.55)["inputs"].message  # not yet silent_after_s
    inputs = _statuses(core, 11.05)["inputs"]
    assert "radar/rear_radar: silent" in inputs.message
    values = {kv.key: kv.value for kv in inputs.values}
    assert values["radar/rear_radar: silent"] == \
        "no message yet (radar carried on by its other sensors)"


def test_a_message_in_another_frame_than_calibrated_is_rejected_and_counted():
    core = build_core(MonitorSettings())
    cloud = np.zeros((3, 4), np.float32)
    assert core.ingest("lidar/lidar", 1.0, cloud, 1.0, "velodyne") == []
    assert core.rejected[("lidar/lidar", "frame_id 'velodyne' is not the calibrated 'lidar'")] \
        == 1
    assert core.synchronizer.staleness(1.0)["lidar/lidar"] is None  # never reached the sets


def test_images_of_another_size_are_resized():
    core = build_core(MonitorSettings())
    frame = Drive(seed=1).frame(0)[0]
    doubled = {n: image.repeat(2, axis=0).repeat(2, axis=1) for n, image in frame.images.items()}
    result = core.attributor(dataclasses.replace(frame, images=doubled), core.rig)
    reference = core.attributor(frame, core.rig)
    assert len(result.detections) > 0
    assert abs(len(result.detections) - len(reference.detections)) <= 2


@pytest.fixture(scope="module")
def six_camera_bag():
    """A 3 s drive through a six-camera 320 x 180 rig, its calibration.yaml removed."""
    bag = WORKDIR / "six_camera"
    if not bag.exists():
        make_bag(bag, 3.0, seed=4, faults=[], rig=six_camera_rig())
        (bag / CALIBRATION).unlink()
    return bag


@pytest.fixture(scope="module")
def six_camera_config(tmp_path_factory):
    settings = settings_for_rig(six_camera_rig())
    parameters = {k: list(v) if isinstance(v, tuple) else v
                  for k, v in dataclasses.asdict(settings).items()
                  if k.startswith(("camera_", "radar_", "lidar_")) or k == "calibration_file"}
    assert parameters["calibration_file"] == ""
    path = tmp_path_factory.mktemp("config") / "six_camera.yaml"
    path.write_text(yaml.safe_dump({"/**": {"ros__parameters": parameters}}))
    return path


def test_a_six_camera_bag_is_analysed_from_its_camera_info_and_tf_static(six_camera_bag,
                                                                         six_camera_config):
    out = WORKDIR / "out_six_camera"
    summary = analyse_bag(six_camera_bag, out, AnalysisOptions(config=six_camera_config))
    assert summary["frames"] >= 25 and summary["detections"] > 0, summary
    assert not [i for i in summary["issues"] if "rejected" in i], summary["issues"]
    detections = columns(out / "detections.parquet")
    total = sum(detections[f"c_{m}"] for m in ("camera", "radar", "lidar", "bias"))
    np.testing.assert_allclose(total, detections["logit"], atol=1e-4)
    assert np.mean(detections["s_camera"]) > 0.05  # the six cameras carry evidence


def test_without_camera_info_nothing_is_guessed_and_the_run_fails_loudly(six_camera_bag,
                                                                        six_camera_config,
                                                                        capsys):
    """Only "front" has a namesake in the shipped default rig, whose 160 x 96 calibration does
    not fit the 320 x 180 images: every frame is refused with the reason, and the run fails."""
    bag = rewrite(six_camera_bag, WORKDIR / "six_camera_no_info",
                  keep=lambda topic: not topic.endswith(("camera_info", "tf_static")))
    out = WORKDIR / "out_no_info"
    assert analyze_main([str(bag), "--out", str(out), "--config", str(six_camera_config)]) == 1
    printed = capsys.readouterr()
    assert "NO FRAME WAS ANALYSED" in printed.err
    assert "does not have the aspect of its calibration (160x96)" in printed.out


def test_an_undecodable_image_is_counted_against_its_camera_only(six_camera_bag,
                                                                six_camera_config):
    def corrupt(topic: str, index: int, raw: bytes) -> bytes:
        if topic != "/camera/front_left/image_raw":
            return raw
        msg = decode(raw, Image)
        msg.encoding = "yuv422_bogus"
        return encode(msg)

    bag = rewrite(six_camera_bag, WORKDIR / "six_camera_bad_left", change=corrupt)
    summary = analyse_bag(bag, WORKDIR / "out_bad_left", AnalysisOptions(config=six_camera_config))
    rejected = [i for i in summary["issues"] if "rejected" in i]
    assert len(rejected) == 1 and rejected[0].startswith("camera/front_left: 30 messages"), \
        summary["issues"]
    assert summary["frames"] >= 25 and summary["detections"] > 0
