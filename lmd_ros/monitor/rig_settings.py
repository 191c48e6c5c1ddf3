"""The monitor's topics for a rig under the package's naming pattern (simulator, synthetic bags):
``/camera/<name>/image_raw`` with ``/camera/<name>/camera_info`` beside it, ``/radar/points``
and ``/lidar/points`` for the rig's (first) radar and LiDAR, the ones the world renders."""

from __future__ import annotations

import dataclasses

from lmd_ros.monitor.settings import MonitorSettings
from lmd_ros.sensors import Rig


def settings_for_rig(rig: Rig, base: MonitorSettings | None = None) -> MonitorSettings:
    """``base`` (default settings) with the rig's cameras, radar and LiDAR and their topics."""
    return dataclasses.replace(
        base or MonitorSettings(),
        camera_names=tuple(c.name for c in rig.cameras),
        camera_topics=tuple(f"/camera/{c.name}/image_raw" for c in rig.cameras),
        camera_info_topics=(),
        radar_names=(rig.radar.name,) if rig.radars else (),
        radar_topics=("/radar/points",) if rig.radars else (),
        lidar_names=(rig.lidar.name,) if rig.lidars else (),
        lidar_topics=("/lidar/points",) if rig.lidars else (),
        bev_frame=rig.ego_frame,
    )
