"""A deterministic synthetic driving world with camera, LiDAR and radar, and injectable faults.

No driving data set is needed: a seed lays out a road with traffic and pedestrians, a
``Drive`` renders every sensor of the rig at any frame, and ``bev_occupancy`` turns the ground
truth into BEV training targets. The modalities are complementary on purpose: cameras are dense
but weak in depth, the LiDAR is precise but sparse at range and blinded by fog, and the radar
reaches far but is sparse and noisy. ``condition_config`` varies the world the way real drives
vary (night, tunnels, rain, dense traffic, ...).
"""

from lmd_ros.world.conditions import CONDITIONS, condition_config
from lmd_ros.world.config import CLASS_NAMES, WorldConfig
from lmd_ros.world.drive import Drive
from lmd_ros.world.faults import FAULT_KINDS, Fault, parse_fault
from lmd_ros.world.occupancy import bev_occupancy
from lmd_ros.world.rig import (
    default_rig,
    front_camera_rig,
    rig_from_dict,
    rig_to_dict,
    six_camera_rig,
)

__all__ = [
    "CLASS_NAMES",
    "CONDITIONS",
    "FAULT_KINDS",
    "Drive",
    "Fault",
    "WorldConfig",
    "bev_occupancy",
    "condition_config",
    "default_rig",
    "front_camera_rig",
    "parse_fault",
    "rig_from_dict",
    "rig_to_dict",
    "six_camera_rig",
]
