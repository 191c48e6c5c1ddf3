"""The package builds with colcon like any ament_python package and is found through the index."""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib.metadata import distribution
from pathlib import Path

import pytest

COLCON = Path(sys.executable).with_name("colcon")


@pytest.fixture(scope="module")
def install_space(tmp_path_factory, repo_root) -> Path:
    work = tmp_path_factory.mktemp("colcon")
    src = work / "src" / "lmd_ros"
    shutil.copytree(
        repo_root, src,
        ignore=shutil.ignore_patterns(".venv", ".git", "build", "install", "log", "__pycache__"),
    )
    subprocess.run(
        [str(COLCON), "--log-base", "log", "build", "--base-paths", "src",
         "--packages-select", "lmd_ros"],
        cwd=work, check=True, capture_output=True, text=True, timeout=300,
    )
    return work / "install"


def _in_sourced_shell(install: Path, command: str) -> subprocess.CompletedProcess:
    script = f"source {install}/local_setup.bash && {command}"
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120)


def test_share_directory_is_indexed(install_space):
    query = (
        f"{sys.executable} -c 'from ament_index_python.packages import "
        "get_package_share_directory as g; print(g(\"lmd_ros\"))'"
    )
    result = _in_sourced_shell(install_space, query)
    assert result.returncode == 0, result.stderr
    share = Path(result.stdout.strip())
    assert share == install_space / "lmd_ros" / "share" / "lmd_ros"
    assert (share / "package.xml").is_file()
    assert (share / "launch" / "monitor.launch.py").is_file()
    assert (share / "config" / "monitor.yaml").is_file()
    assert (share / "rviz" / "monitor.rviz").is_file()
    assert (share / "foxglove" / "lmd_ros.json").is_file()


def test_executables_installed_and_run(install_space):
    lib = install_space / "lmd_ros" / "lib" / "lmd_ros"
    installed = sorted(p.name for p in lib.iterdir())
    declared = sorted(_declared_console_scripts())
    assert installed == declared
    for exe in installed:
        result = _in_sourced_shell(install_space, f"{lib / exe} --help")
        assert result.returncode == 0, f"{exe} --help failed:\n{result.stderr}"
        assert "usage" in result.stdout.lower(), exe


def _declared_console_scripts() -> list[str]:
    """The console scripts setup.py declares, as pip recorded them in the test's environment."""
    return [ep.name for ep in distribution("lmd_ros").entry_points if ep.group == "console_scripts"]
