"""The ROS side of lmd_ros: the only modules allowed to import ROS message packages.

Everything here turns messages into the numpy types of ``lmd_ros.sensors`` and back, so the
monitoring logic in ``lmd_ros.monitor`` stays testable and reusable without ROS.
"""
