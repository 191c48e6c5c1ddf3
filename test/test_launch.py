"""The launch file builds a description with the node and its arguments (needs launch_ros)."""

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
    assert arguments == {"config", "namespace", "use_sim_time"}
    nodes = [e for e in description.entities if isinstance(e, Node)]
    assert len(nodes) == 1
    assert nodes[0].node_executable == "lmd_monitor"
