"""How every executable of the package runs its node and stops on SIGINT (Ctrl-C, launch)."""

from __future__ import annotations

from collections.abc import Callable

import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node


def spin_until_shutdown(node: Node, finished: Callable[[], bool] = lambda: False) -> int:
    """Spin until SIGINT / shutdown or ``finished()``, then destroy the node and shut down."""
    try:
        while rclpy.ok() and not finished():
            rclpy.spin_once(node, timeout_sec=0.1)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
    return 0
