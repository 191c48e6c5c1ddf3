"""``~/detections_3d`` as the standard vision_msgs/Detection3DArray (where vision_msgs exists)."""

import numpy as np
import pytest
from builtin_interfaces.msg import Time

pytest.importorskip(
    "vision_msgs",
    reason="vision_msgs is not installable from PyPI; this test runs on ROS 2 machines",
)

from lmd_ros.adapters import Detection
from lmd_ros.monitor.attribution import FrameAttribution
from lmd_ros.ros.outputs import detections_3d_message


def test_each_detection_carries_its_class_score_and_box():
    boxes = [Detection(x=10.0, y=-2.0, z=0.8, l=4.5, w=1.9, h=1.6, yaw=np.pi / 2, class_id=1,
                       score=0.75, output=("heatmap", 0, 1, 3, 4)),
             Detection(x=-5.0, y=3.0, z=0.9, l=0.8, w=0.8, h=1.8, yaw=0.0, class_id=0,
                       score=0.5, output=("heatmap", 0, 0, 5, 6))]
    result = FrameAttribution(
        stamp=12.5, modalities=("camera", "lidar"), detections=boxes, logits=np.zeros(2),
        contributions=np.zeros((2, 3)), shares=np.zeros((2, 2)), evidence=None,
        present={"camera": True, "lidar": True}, dependencies=np.zeros((2, 2), bool))
    msg = detections_3d_message(result, Time(sec=12, nanosec=500_000_000), "base_link",
                                ("pedestrian", "vehicle"))
    assert msg.header.frame_id == "base_link" and msg.header.stamp.sec == 12
    assert len(msg.detections) == 2
    first = msg.detections[0]
    assert first.header.stamp.nanosec == 500_000_000
    assert [(r.hypothesis.class_id, r.hypothesis.score) for r in first.results] == \
        [("vehicle", pytest.approx(0.75))]
    box = first.bbox
    assert (box.center.position.x, box.center.position.y, box.center.position.z) == \
        pytest.approx((10.0, -2.0, 0.8))
    assert (box.size.x, box.size.y, box.size.z) == pytest.approx((4.5, 1.9, 1.6))
    yaw = 2 * np.arctan2(box.center.orientation.z, box.center.orientation.w)
    assert yaw == pytest.approx(np.pi / 2)
    assert msg.detections[1].results[0].hypothesis.class_id == "pedestrian"
