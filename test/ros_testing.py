"""Helpers for tests that talk real DDS: a private rclpy context, spinning until a condition."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

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
