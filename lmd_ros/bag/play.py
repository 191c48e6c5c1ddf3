"""`lmd_play_bag`: publish a bag into a running ROS graph, with /clock, for RViz sessions.

Every topic whose type this install knows is published as recorded (raw CDR, no decoding) at
``--rate`` times real time; ``/clock`` (rosgraph_msgs/Clock) follows the record time, also
between messages, so nodes started with ``use_sim_time:=true`` (the monitor included) run on bag
time. Publishers are reliable (keep-last 10), which both reliable and best-effort subscribers
accept. ``--loop`` restarts at the end; the clock then jumps back, which the monitor treats as a
restarted source.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import rclpy
from rclpy.node import Node
from rclpy.publisher import Publisher
from rosgraph_msgs.msg import Clock

from lmd_ros.bag.cdr import message_class
from lmd_ros.bag.reader import BagFiles, BagUnreadable

CLOCK_PERIOD_S = 0.01
"""Wall time between /clock messages while waiting for the next bag message."""
DEPTH = 10


class BagPlayer(Node):
    """Publishers for a bag's topics plus /clock; ``play`` paces one pass through the bag."""

    def __init__(self, bag: BagFiles) -> None:
        super().__init__("lmd_bag_player")
        self.bag = bag
        self._clock = self.create_publisher(Clock, "/clock", DEPTH)
        self._topic_publishers: dict[str, Publisher] = {}
        for connection in bag.connections:
            msg_class = message_class(connection.msgtype)
            if msg_class is None:
                self.get_logger().warn(f"{connection.topic}: type {connection.msgtype} is not "
                                       "installed here, not played")
            elif connection.topic not in self._topic_publishers:
                self._topic_publishers[connection.topic] = self.create_publisher(
                    msg_class, connection.topic, DEPTH)

    def hold(self, seconds: float, until_matched: bool = False) -> None:
        """Wait at the bag's start time, /clock included, so that subscribers discover the
        publishers and sim-time nodes have a clock before the first message: ``seconds``, after
        every publisher has a subscriber when ``until_matched``."""
        publishers = [self._clock, *self._topic_publishers.values()]
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline or until_matched:
            if until_matched and all(p.get_subscription_count() for p in publishers):
                until_matched, deadline = False, time.monotonic() + seconds
            self._publish_clock(self.bag.start_ns)
            time.sleep(CLOCK_PERIOD_S)

    def play(self, rate: float) -> int:
        """Publish every message at its time; returns how many were published."""
        started, count = time.monotonic(), 0
        for connection, time_ns, raw in self.bag.raw(lambda c: c.topic in self._topic_publishers):
            due = started + (time_ns - self.bag.start_ns) * 1e-9 / rate
            while (wait := due - time.monotonic()) > 0:
                time.sleep(min(wait, CLOCK_PERIOD_S))
                elapsed = (time.monotonic() - started) * rate
                self._publish_clock(min(self.bag.start_ns + round(elapsed * 1e9), time_ns))
            self._publish_clock(time_ns)
            self._topic_publishers[connection.topic].publish(bytes(raw))
            count += 1
        return count

    def _publish_clock(self, time_ns: int) -> None:
        sec, nanosec = divmod(time_ns, 1_000_000_000)
        clock = Clock()
        clock.clock.sec, clock.clock.nanosec = sec, nanosec
        self._clock.publish(clock)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lmd_play_bag", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bag", type=Path, metavar="BAG")
    parser.add_argument("--rate", type=float, default=1.0, help="playback speed factor")
    parser.add_argument("--loop", action="store_true", help="play again and again")
    parser.add_argument("--delay", type=float, default=1.0,
                        help="seconds to hold /clock at the start before playing, for "
                        "discovery")
    parser.add_argument("--wait-for-subscribers", action="store_true",
                        help="first wait until every topic (and /clock) has a subscriber")
    args = parser.parse_args(argv)
    if args.rate <= 0:
        parser.error("--rate must be > 0")
    rclpy.init()
    try:
        with BagFiles(args.bag) as bag:
            for issue in bag.issues:
                print(f"lmd_play_bag: {issue}", file=sys.stderr)
            player = BagPlayer(bag)
            player.hold(args.delay, args.wait_for_subscribers)
            while True:
                count = player.play(args.rate)
                print(f"lmd_play_bag: published {count} messages", file=sys.stderr)
                if not args.loop:
                    break
            player.destroy_node()
    except BagUnreadable as error:
        print(f"lmd_play_bag: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        rclpy.try_shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
