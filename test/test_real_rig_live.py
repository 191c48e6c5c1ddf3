"""A six-camera rig over real DDS: the node takes its cameras' intrinsics from the CameraInfo
topics of a played bag (extrinsics from the calibration file: tf2_msgs, which /tf_static needs,
is not on PyPI) and publishes detections whose contributions add up."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import yaml
from ros_testing import module_processes, ros_node, spin_until
from test_bag_support import WORKDIR

from lmd_ros.bag.make_bag import make_bag
from lmd_ros.calibration import save_rig
from lmd_ros.monitor.rig_settings import settings_for_rig
from lmd_ros.ros.observer import MonitorObserver
from lmd_ros.world import six_camera_rig


@pytest.fixture(scope="module")
def observed():
    rig = six_camera_rig()
    bag = WORKDIR / "six_camera_live"
    if not bag.exists():
        make_bag(bag, 2.0, seed=6, faults=[], rig=rig)
    # the file's intrinsics are wrong (half the focal length): only CameraInfo can fix them
    wrong = dataclasses.replace(rig, cameras=tuple(
        dataclasses.replace(c, K=c.K * np.array([[0.5], [0.5], [1.0]])) for c in rig.cameras))
    calibration = WORKDIR / "six_camera_wrong_intrinsics.yaml"
    save_rig(wrong, calibration)
    settings = dataclasses.replace(settings_for_rig(rig), calibration_file=str(calibration))
    parameters = {k: list(v) if isinstance(v, tuple) else v
                  for k, v in dataclasses.asdict(settings).items()
                  if k.startswith(("camera_", "radar_", "lidar_", "calibration_"))}
    config = WORKDIR / "six_camera_live.yaml"
    config.write_text(yaml.safe_dump({"/**": {"ros__parameters": {
        **parameters, "use_sim_time": True, "qos_reliability": "reliable", "qos_depth": 50,
        "stale_after": 5.0}}}))
    with ros_node("lmd_test_rig_live") as (node, executor):
        observer = MonitorObserver(context=node.context)
        executor.add_node(observer)
        with module_processes(WORKDIR) as start:
            start("lmd_ros.ros.monitor_node", "--ros-args", "--params-file", str(config),
                  log="rig_live_monitor.log")
            assert spin_until(
                executor, lambda: node.count_subscribers("/camera/back/camera_info") > 0, 60.0
            ), (WORKDIR / "rig_live_monitor.log").read_text()
            player = start("lmd_ros.bag.play", str(bag), "--rate", "0.2", "--delay", "0.5",
                           "--wait-for-subscribers", log="rig_live_player.log")
            spin_until(executor, lambda: player.poll() is not None, 90.0)
        executor.remove_node(observer)
        observer.destroy_node()
    return observer.observation, (WORKDIR / "rig_live_monitor.log").read_text()


def test_detections_from_six_cameras_add_up(observed):
    observation, log = observed
    tables = [t for t in observation.detections if len(t.rows)]
    assert len(tables) >= 3, log
    for table in tables:
        total = sum(table.column(f"c_{m}") for m in ("camera", "radar", "lidar", "bias"))
        np.testing.assert_allclose(total, np.log(table.column("score")
                                                 / (1 - table.column("score"))), atol=2e-3)
