"""The launch file builds a description with the node and its arguments (needs launch_ros).

It is loaded by path and its share paths are substitutions, so no installed or sourced package
is needed to build and inspect the description.
"""

import importlib.util

import pytest

pytest.importorskip(
    "launch_ros",
    reason="launch_ros is not installable from PyPI; this test runs on ROS 2 machines",
)


def test_launch_description_declares_node_and_arguments(repo_root):
    from launch.actions import DeclareLaunchArgument
    from launch_ros.actions import Node

    path = repo_root / "launch" / "monitor.launch.py"
    spec = importlib.util.spec_from_file_location("monitor_launch", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    description = module.generate_launch_description()
    arguments = {e.name for e in description.entities if isinstance(e, DeclareLaunchArgument)}
    assert arguments == {"config", "namespace", "use_sim_time", "rviz"}
    executables = [e.node_executable for e in description.entities if isinstance(e, Node)]
    assert executables.count("lmd_monitor") == 1
    assert set(executables) <= {"lmd_monitor", "rviz2"}
    optional = [e for e in description.entities if e.condition is not None]
    assert len(optional) == 1, "rviz2 (or the note that it is missing) runs only with rviz:=true"


def test_a_namespace_keeps_the_values_of_a_custom_config(repo_root, tmp_path):
    """``namespace:=car1 config:=custom.yaml``: the node in /car1 gets the file's values (here an
    invalid slop, so the launched node must exit 2 naming it)."""
    from launch import LaunchDescription, LaunchService
    from launch.actions import IncludeLaunchDescription, RegisterEventHandler
    from launch.event_handlers import OnProcessExit
    from launch.launch_description_sources import PythonLaunchDescriptionSource

    text = (repo_root / "config" / "monitor.yaml").read_text()
    custom = tmp_path / "custom.yaml"
    custom.write_text(text.replace("    slop: 0.05", "    slop: -0.5"))
    codes = []
    service = LaunchService()
    service.include_launch_description(LaunchDescription([
        RegisterEventHandler(OnProcessExit(on_exit=lambda event, _: codes.append(
            event.returncode))),
        IncludeLaunchDescription(
            PythonLaunchDescriptionSource(str(repo_root / "launch" / "monitor.launch.py")),
            launch_arguments={"namespace": "car1", "config": str(custom)}.items()),
    ]))
    service.run()
    assert codes == [2]
