"""Start the lmd_ros monitor: `ros2 launch lmd_ros monitor.launch.py [config:=…] [namespace:=…]`."""

from pathlib import Path

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node


def generate_launch_description() -> LaunchDescription:
    default_config = Path(get_package_share_directory("lmd_ros")) / "config" / "monitor.yaml"
    config = LaunchConfiguration("config")
    namespace = LaunchConfiguration("namespace")
    use_sim_time = LaunchConfiguration("use_sim_time")
    return LaunchDescription([
        DeclareLaunchArgument("config", default_value=str(default_config),
                              description="Parameter file of the monitor node"),
        DeclareLaunchArgument("namespace", default_value="",
                              description="Namespace of the monitor node"),
        DeclareLaunchArgument("use_sim_time", default_value="false",
                              description="Follow /clock (rosbag replay)"),
        Node(
            package="lmd_ros",
            executable="lmd_monitor",
            name="lmd_monitor",
            namespace=namespace,
            parameters=[config, {"use_sim_time": use_sim_time}],
            output="screen",
            emulate_tty=True,
        ),
    ])
