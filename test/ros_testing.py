"""Helpers for tests that talk real DDS: a private rclpy context, spinning until a condition."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import rclpy
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node


@contextmanager
def ros_node(name: str) -> Iterator[tuple[Node, SingleThreadedExecutor]]:
    """A node on its own context, so a test never leaks rclpy state into the next."""
    context = Context()
    rclpy.init(context=context)
    node = Node(name, context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    try:
        yield node, executor
    finally:
        executor.shutdown()
        node.destroy_node()
        context.try_shutdown()


def spin_until(
    executor: SingleThreadedExecutor, done: Callable[[], bool], timeout_s: float
) -> bool:
    """Spin callbacks until ``done()`` or the timeout; discovery on loopback can take seconds."""
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            return False
        executor.spin_once(timeout_sec=0.05)
    return True


@contextmanager
def module_processes(log_dir: Path) -> Iterator[Callable[..., subprocess.Popen]]:
    """``start(module, *args, log=name)`` runs ``python -m module`` in its own process group,
    output to ``log_dir / name``; on leaving, every group still running gets SIGINT (a clean
    ROS shutdown) and is waited for."""
    started: list[subprocess.Popen] = []

    def start(module: str, *args: str, log: str) -> subprocess.Popen:
        started.append(subprocess.Popen([sys.executable, "-m", module, *args],
                                        stdout=(log_dir / log).open("w"),
                                        stderr=subprocess.STDOUT, start_new_session=True))
        return started[-1]

    try:
        yield start
    finally:
        for process in started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=15)
