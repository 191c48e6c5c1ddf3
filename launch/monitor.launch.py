"""Start the lmd_ros monitor: `ros2 launch lmd_ros monitor.launch.py [config:=…] [namespace:=…]
[use_sim_time:=…] [rviz:=true]`.

Share paths are substitutions (resolved when launched, not when the description is built), so
the description can be built and inspected without an installed package. `rviz:=true` also
starts rviz2 with `rviz/monitor.rviz` where rviz2 is installed, and says so where it is not.
"""

from ament_index_python.packages import PackageNotFoundError, get_package_prefix
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, LogInfo
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare

SHARE = FindPackageShare("lmd_ros")


def generate_launch_description() -> LaunchDescription:
    namespace = LaunchConfiguration("namespace")
    use_sim_time = LaunchConfiguration("use_sim_time")
    return LaunchDescription([
        DeclareLaunchArgument("config",
                              default_value=PathJoinSubstitution([SHARE, "config", "monitor.yaml"]),
                              description="Parameter file of the monitor node"),
        DeclareLaunchArgument("namespace", default_value="",
                              description="Namespace of the monitor node"),
        DeclareLaunchArgument("use_sim_time", default_value="false",
                              description="Follow /clock (rosbag replay)"),
        DeclareLaunchArgument("rviz", default_value="false",
                              description="Also start rviz2 with rviz/monitor.rviz"),
        Node(
            package="lmd_ros",
            executable="lmd_monitor",
            name="lmd_monitor",
            namespace=namespace,
            parameters=[LaunchConfiguration("config"), {"use_sim_time": use_sim_time}],
            output="screen",
            emulate_tty=True,
        ),
        _rviz(namespace, use_sim_time),
    ])


def _rviz(namespace: LaunchConfiguration, use_sim_time: LaunchConfiguration):
    """rviz2 in the monitor's namespace, so the relative topics of monitor.rviz resolve."""
    wanted = IfCondition(LaunchConfiguration("rviz"))
    try:
        get_package_prefix("rviz2")
    except PackageNotFoundError:
        return LogInfo(msg="rviz:=true ignored: rviz2 is not installed", condition=wanted)
    return Node(
        package="rviz2",
        executable="rviz2",
        name="lmd_rviz",
        namespace=namespace,
        arguments=["-d", PathJoinSubstitution([SHARE, "rviz", "monitor.rviz"])],
        parameters=[{"use_sim_time": use_sim_time}],
        condition=wanted,
        output="screen",
    )
