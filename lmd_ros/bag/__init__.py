"""Rosbag2 replay analysis: recorded drives through the live monitor's own pipeline.

A bag's sensor messages are converted, synchronised, attributed and alarmed by the same
`MonitorCore` the node runs, on the bag's time instead of the wall clock, so an offline report
shows what the monitor would have said on the road. Unlike the node, nothing is skipped: every
synchronised set is analysed. This subpackage imports ROS (message classes and rclpy's CDR
serialisation) and `rosbags`; ROS-free users stay with `lmd_ros.monitor`.
"""
