"""How every executable of the package runs its node and stops on SIGINT (Ctrl-C, launch).

rclpy's own signal handler shuts the context down the moment SIGINT arrives, while the node's
threads may still publish: they then fail with "publisher's context is invalid". Here SIGINT and
SIGTERM only ask the spin loop to stop; the node is destroyed first (stopping its threads), and
only then is rclpy shut down.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.signals import uninstall_signal_handlers

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def spin_until_shutdown(node: Node, finished: Callable[[], bool] = lambda: False) -> int:
    """Spin until SIGINT / SIGTERM / shutdown or ``finished()``, then destroy the node and shut
    down; returns the exit code (0)."""
    stop = threading.Event()
    uninstall_signal_handlers()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in STOP_SIGNALS}
    try:
        while rclpy.ok(context=node.context) and not stop.is_set() and not finished():
            rclpy.spin_once(node, timeout_sec=0.1)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown(context=node.context)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
