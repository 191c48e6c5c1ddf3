"""ROS-free runtime monitoring: synchronising sensor streams, modality shares and alarms.

Nothing here reads a clock: every time is passed in, so the live node and the offline rosbag
analysis run the very same logic on the same timeline.
"""
