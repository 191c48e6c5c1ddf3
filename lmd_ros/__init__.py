"""lmd_ros: which sensor does each detection rely on?

Layer-wise Modality Decomposition (LMD) for camera + radar + LiDAR fusion networks, packaged as a
ROS 2 monitor. Importing this package never imports ROS: the engine (`lmd_ros.decomposition`),
the reference model (`lmd_ros.model`), the synthetic world (`lmd_ros.world`) and the monitor logic
(`lmd_ros.monitor`) are plain Python; only `lmd_ros.ros` talks to rclpy.
"""

__version__ = "0.1.0"
