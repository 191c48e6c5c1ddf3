"""`lmd_make_bag` writes what the simulator publishes, readable by rosbags in both storages;
messages survive the CDR round trip, also into Humble's definitions."""

from __future__ import annotations

import numpy as np
import pytest
from rosbags.rosbag2 import Reader
from sensor_msgs.msg import CameraInfo, Image, PointCloud2
from test_bag_support import WORKDIR, synthetic_bag
from visualization_msgs.msg import Marker, MarkerArray

from lmd_ros.bag.cdr import DISTROS, decode, encode, typestore
from lmd_ros.bag.make_bag import CALIBRATION, START_S, main
from lmd_ros.calibration import load_rig
from lmd_ros.monitor.settings import MonitorSettings
from lmd_ros.ros.conversions import stamp_to_seconds
from lmd_ros.ros.inputs import camera_info_topics
from lmd_ros.world import default_rig


@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
def test_bag_has_every_sensor_topic_per_frame_with_its_frame_id(storage):
    bag = synthetic_bag(0.5, storage=storage)
    settings = MonitorSettings()
    lidar_topic = settings.lidar_topics[0]
    expected = {**dict.fromkeys(settings.camera_topics, "sensor_msgs/msg/Image"),
                **dict.fromkeys(camera_info_topics(settings), "sensor_msgs/msg/CameraInfo"),
                settings.radar_topics[0]: "sensor_msgs/msg/PointCloud2",
                lidar_topic: "sensor_msgs/msg/PointCloud2"}
    with Reader(bag) as reader:
        assert {c.topic: c.msgtype for c in reader.connections} == {
            **expected, "/tf_static": "tf2_msgs/msg/TFMessage"}
        assert {c.topic: c.msgcount for c in reader.connections} == {
            **dict.fromkeys(expected, 5), "/tf_static": 1}
        suffix = {"mcap": ".mcap", "sqlite3": ".db3"}[storage]
        assert {p.suffix for p in bag.iterdir()} == {".yaml", suffix}
        by_topic = {}
        for connection, time_ns, raw in reader.messages():
            if connection.topic == "/tf_static":
                continue
            cls = {"Image": Image, "CameraInfo": CameraInfo, "PointCloud2": PointCloud2}[
                connection.msgtype.rsplit("/", 1)[1]]
            msg = decode(raw, cls)
            assert time_ns == round(stamp_to_seconds(msg.header.stamp) * 1e9)
            by_topic.setdefault(connection.topic, []).append(msg)
    assert stamp_to_seconds(by_topic[lidar_topic][0].header.stamp) == START_S
    assert by_topic[settings.camera_topics[0]][0].header.frame_id == "camera_front_optical"
    assert by_topic[lidar_topic][0].header.frame_id == "lidar"
    assert by_topic[lidar_topic][0].width > 1000


def test_calibration_lies_in_the_bag_and_is_the_rig():
    rig = load_rig(synthetic_bag(0.5) / CALIBRATION)
    assert [c.name for c in rig.cameras] == [c.name for c in default_rig().cameras]
    np.testing.assert_allclose(rig.lidar.T_ego_sensor, default_rig().lidar.T_ego_sensor)


def test_cli_refuses_an_existing_directory_and_a_bad_fault(capsys):
    with pytest.raises(SystemExit):
        main(["--out", str(WORKDIR), "--seconds", "1"])
    with pytest.raises(SystemExit):
        main(["--out", str(WORKDIR / "new"), "--fault", "lidar_melts@1:2"])
    assert "unknown fault kind" in capsys.readouterr().err


def test_encoded_messages_round_trip_and_read_with_each_distros_definitions():
    image = Image(height=2, width=3, encoding="rgb8", step=9, data=bytes(range(18)))
    image.header.frame_id = "cam"
    assert decode(encode(image), Image) == image
    markers = MarkerArray(markers=[Marker(action=Marker.DELETEALL),
                                   Marker(id=7, text="vehicle 0.9", mesh_resource="m")])
    raw = encode(markers)
    assert decode(raw, MarkerArray) == markers
    for distro in DISTROS:
        back = typestore(distro).deserialize_cdr(raw, "visualization_msgs/msg/MarkerArray")
        assert [(m.id, m.text, m.action, m.mesh_resource) for m in back.markers] == \
            [(0, "", 3, ""), (7, "vehicle 0.9", 0, "m")]
