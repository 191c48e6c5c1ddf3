"""Every module outside `lmd_ros.ros` imports without pulling in rclpy or ROS message packages.

Exempt: the bag analysis, and the benchmarks that drive the monitor through it (its `Replay`, the
clouds as `lmd_ros.ros.inputs` converts them)."""

import subprocess
import sys

PROBE = """
import pkgutil, sys
import lmd_ros
names = [m.name for m in pkgutil.walk_packages(lmd_ros.__path__, 'lmd_ros.')
         if not m.name.startswith(("lmd_ros.ros", "lmd_ros.bag", "lmd_ros.benchmarks.bag",
                                   "lmd_ros.benchmarks.alarms", "lmd_ros.benchmarks.drive_runs",
                                   "lmd_ros.benchmarks.drive_trace"))]
for name in names:
    __import__(name)
ros = {'rclpy', 'sensor_msgs', 'std_msgs', 'diagnostic_msgs', 'visualization_msgs',
       'geometry_msgs', 'builtin_interfaces'}
leaked = sorted(m for m in sys.modules if m.split('.')[0] in ros)
assert not leaked, leaked
print(len(names))
"""


def test_ros_free_modules_do_not_import_ros():
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 2
