"""The monitor's output messages for one analysed frame (published live, recorded by bag analysis).

``~/detections`` is the machine-readable record: one PointCloud2 point per detection with fields
``x y z l w h yaw class_id score c_<modality>… c_bias s_<modality>… dep_<modality>…`` (all
FLOAT32; ``dep_<m>`` is 1.0 where the detection depends on m, see `lmd_ros.monitor.dependency`).
``~/markers`` draws a single-sensor detection (one that depends on one sensor alone) with a thick
outline in that sensor's colour and ``only <sensor>`` under its label. Where
``vision_msgs`` is installed the node also publishes ``~/detections_3d`` (the standard
Detection3DArray: class and score, box; contributions stay in ``~/detections``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from builtin_interfaces.msg import Duration, Time
from geometry_msgs.msg import Point, Pose, Quaternion, Vector3
from sensor_msgs.msg import Image, PointCloud2
from std_msgs.msg import ColorRGBA, Header
from visualization_msgs.msg import Marker, MarkerArray

try:  # a ROS apt package, not on PyPI: the standard detections are published where it exists
    from vision_msgs.msg import (
        BoundingBox3D,
        Detection3D,
        Detection3DArray,
        ObjectHypothesisWithPose,
    )
except ImportError:
    Detection3DArray = None

from lmd_ros.adapters import BEVGrid, Detection
from lmd_ros.monitor.attribution import FrameAttribution
from lmd_ros.monitor.bev_picture import bev_picture
from lmd_ros.monitor.core import FrameRecord, MonitorCore
from lmd_ros.monitor.render import box_outline, mix_colour, modality_colour, overlay_picture
from lmd_ros.monitor.synchronizer import SyncedSet
from lmd_ros.ros.conversions import array_to_pointcloud2, rgb_to_image, seconds_to_stamp

BOX_FIELDS: tuple[str, ...] = ("x", "y", "z", "l", "w", "h", "yaw", "class_id", "score")
MARKER_LIFETIME = Duration(sec=1)
SINGLE_SENSOR_LINE_M = 0.15
"""Outline width of a single-sensor detection's box: it stands out against the others."""


def detection_fields(modalities: Sequence[str]) -> tuple[str, ...]:
    """Field names of ``~/detections`` for a model with these modalities."""
    return (*BOX_FIELDS, *(f"c_{m}" for m in modalities), "c_bias",
            *(f"s_{m}" for m in modalities), *(f"dep_{m}" for m in modalities))


def detections_message(result: FrameAttribution, stamp: Time, frame_id: str) -> PointCloud2:
    boxes = np.array(
        [[getattr(d, name) for name in BOX_FIELDS] for d in result.detections], dtype=np.float64
    ).reshape(len(result.detections), len(BOX_FIELDS))
    table = np.concatenate([boxes, result.contributions, result.shares, result.dependencies],
                           axis=1)
    return array_to_pointcloud2(
        table.astype(np.float32), detection_fields(result.modalities), stamp, frame_id
    )


def detections_3d_message(result: FrameAttribution, stamp: Time, frame_id: str,
                          class_names: Sequence[str]) -> Detection3DArray:
    """vision_msgs/Detection3DArray: per detection its class name and score, and its box."""
    header = Header(stamp=stamp, frame_id=frame_id)
    detections = []
    for i, d in enumerate(result.detections):
        hypothesis = ObjectHypothesisWithPose()
        hypothesis.hypothesis.class_id = class_names[d.class_id]
        hypothesis.hypothesis.score = float(d.score)
        hypothesis.pose.pose = _box_pose(d)
        box = BoundingBox3D(center=_box_pose(d), size=Vector3(x=d.l, y=d.w, z=d.h))
        detections.append(Detection3D(header=header, results=[hypothesis], bbox=box, id=str(i)))
    return Detection3DArray(header=header, detections=detections)


def _box_pose(d) -> Pose:
    return Pose(position=Point(x=d.x, y=d.y, z=d.z),
                orientation=Quaternion(z=float(np.sin(d.yaw / 2)), w=float(np.cos(d.yaw / 2))))


def standard_outputs(core: MonitorCore, record: FrameRecord) -> dict[str, Any]:
    """``detections_3d`` where vision_msgs is installed, else nothing (live node only: the
    annotated bag keeps to the message types every rosbag2 reader knows)."""
    if Detection3DArray is None:
        return {}
    result = record.attribution
    return {"detections_3d": detections_3d_message(
        result, seconds_to_stamp(result.stamp), core.settings.bev_frame, core.class_names)}


def markers_message(
    result: FrameAttribution, stamp: Time, frame_id: str, class_names: Sequence[str]
) -> MarkerArray:
    """A box per detection coloured by its modality mix, a label with its shares; a
    single-sensor detection also gets a thick outline in its sensor's colour (namespace
    ``single_sensor``) and ``only <sensor>`` in its label.

    The array starts with DELETEALL so boxes of the previous frame never linger.
    """
    header = Header(stamp=stamp, frame_id=frame_id)
    markers = [Marker(header=header, action=Marker.DELETEALL)]
    for i, (d, shares, sole) in enumerate(zip(result.detections, result.shares,
                                              result.sole_dependencies(), strict=True)):
        r, g, b = (c / 255 for c in mix_colour(shares, result.modalities))
        markers.append(Marker(
            header=header, ns="boxes", id=i, type=Marker.CUBE, action=Marker.ADD,
            pose=_box_pose(d),
            scale=Vector3(x=d.l, y=d.w, z=d.h), color=ColorRGBA(r=r, g=g, b=b, a=0.6),
            lifetime=MARKER_LIFETIME,
        ))
        label = " ".join(f"{m[0].upper()}{s:.0%}" for m, s in zip(result.modalities, shares,
                                                                   strict=True))
        if sole is not None:
            markers.append(_single_sensor_outline(header, i, d, sole, result.modalities))
            label += f"\nonly {sole}"
        text_pose = Pose(position=Point(x=d.x, y=d.y, z=d.z + d.h), orientation=Quaternion(w=1.0))
        markers.append(Marker(
            header=header, ns="labels", id=i, type=Marker.TEXT_VIEW_FACING, action=Marker.ADD,
            pose=text_pose, scale=Vector3(z=0.8), color=ColorRGBA(r=1.0, g=1.0, b=1.0, a=1.0),
            text=f"{class_names[d.class_id]} {d.score:.2f}\n{label}", lifetime=MARKER_LIFETIME,
        ))
    return MarkerArray(markers=markers)


def _single_sensor_outline(header: Header, i: int, d: Detection, modality: str,
                           modalities: Sequence[str]) -> Marker:
    r, g, b = (c / 255 for c in modality_colour(modality, list(modalities).index(modality)))
    return Marker(
        header=header, ns="single_sensor", id=i, type=Marker.LINE_LIST, action=Marker.ADD,
        pose=Pose(orientation=Quaternion(w=1.0)), scale=Vector3(x=SINGLE_SENSOR_LINE_M),
        color=ColorRGBA(r=r, g=g, b=b, a=1.0),
        points=[Point(x=x, y=y, z=z) for x, y, z in box_outline(d).tolist()],
        lifetime=MARKER_LIFETIME,
    )


def bev_image_message(result: FrameAttribution, grid: BEVGrid, class_names: Sequence[str],
                      stamp: Time, frame_id: str) -> Image:
    return rgb_to_image(bev_picture(result, grid, class_names), stamp, frame_id)


def frame_outputs(core: MonitorCore, record: FrameRecord, synced: SyncedSet) -> dict[str, Any]:
    """``detections``, ``markers``, ``bev_contributions`` and, when enabled and a camera is in
    the set, ``camera_overlay``; all stamped with the frame's stamp."""
    result = record.attribution
    stamp = seconds_to_stamp(result.stamp)
    frame_id = core.settings.bev_frame
    class_names = core.class_names
    messages = {
        "detections": detections_message(result, stamp, frame_id),
        "markers": markers_message(result, stamp, frame_id, class_names),
    }
    if result.evidence is not None:
        messages["bev_contributions"] = bev_image_message(
            result, core.attributor.adapter.bev_grid, class_names, stamp, frame_id)
    if core.settings.publish_camera_overlay and \
            (overlay := overlay_picture(core.rig, record, synced)) is not None:
        name, picture = overlay
        messages["camera_overlay"] = rgb_to_image(picture, stamp, core.rig.camera(name).frame_id)
    return messages
