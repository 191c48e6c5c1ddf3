"""`lmd_benchmark {engine,node,bag,reliability,alarms} [options]`: each prints Markdown tables.

The ROS-using benchmarks are imported only when chosen, so `lmd_benchmark engine` runs without
a ROS graph.
"""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "engine": ("lmd_ros.benchmarks.engine", "decompose vs forward vs exact Shapley"),
    "node": ("lmd_ros.ros.node_benchmark", "live node latency and sustained rate over DDS"),
    "bag": ("lmd_ros.benchmarks.bag", "offline bag analysis vs live node; Ray scaling"),
    "reliability": ("lmd_ros.ros.reliability_benchmark",
                    "silence alarm times, false alarms and RSS beside a CPU hog"),
    "alarms": ("lmd_ros.benchmarks.alarms",
               "fault campaign: the product's alarms against topic health and input statistics"),
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in BENCHMARKS:
        print(f"usage: lmd_benchmark {{{','.join(BENCHMARKS)}}} [options]\n")
        for name, (_, what) in BENCHMARKS.items():
            print(f"  {name:<11} {what}")
        return 0 if args[:1] in (["-h"], ["--help"]) else 2
    module = importlib.import_module(BENCHMARKS[args[0]][0])
    return module.main(args[1:])
