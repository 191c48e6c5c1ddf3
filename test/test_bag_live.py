"""Offline equals live: the bag, played with `lmd_play_bag` into the real monitor node (over DDS,
on the bag's /clock), gives the same detections and contributions as `lmd_analyze_bag`.

Design: the node may skip sets while busy (when callbacks starved by the worker complete several
sets at once, it keeps the newest), and its published tables are float32, so every frame the
node published is looked up by stamp in the offline table (which has every frame) and must match
row for row. The bag plays at a tenth of real time, so that the node is idle between frames and
publishes most of them. Both run with `node_config()`, whose long ``stale_after`` keeps a busy
node from leaving a late sensor out of a set (its messages are handled late, not lost). The
player publishes reliably and holds /clock at the bag's start until the node is matched, so the
node sees the same messages on the same clock and forms the same sets.
"""

from __future__ import annotations

import numpy as np
import pytest
from ros_testing import module_processes, ros_node, spin_until
from test_bag_support import WORKDIR, columns, healthy, node_config, synthetic_bag

from lmd_ros.ros.observer import MonitorObserver


@pytest.fixture(scope="module")
def played():
    """(offline output folder, tables the node published, node log)."""
    bag, out = synthetic_bag(2.0), healthy()
    with ros_node("lmd_test_live") as (node, executor):
        observer = MonitorObserver(context=node.context)
        executor.add_node(observer)
        with module_processes(WORKDIR) as start:
            start("lmd_ros.ros.monitor_node", "--ros-args", "--params-file",
                  str(node_config()), log="live_monitor.log")
            detections = [s for s in observer.subscriptions
                          if s.topic_name == "/lmd_monitor/detections"]
            assert spin_until(executor, lambda: node.count_subscribers("/lidar/points") > 0
                              and detections[0].get_publisher_count() > 0,
                              60.0), (WORKDIR / "live_monitor.log").read_text()
            player = start("lmd_ros.bag.play", str(bag), "--rate", "0.1", "--delay", "0.5",
                           "--wait-for-subscribers", log="live_player.log")
            spin_until(executor, lambda: player.poll() is not None, 60.0)
            last = columns(out / "frames.parquet")["stamp"][-1]
            spin_until(executor, lambda: any(abs(t.stamp - last) < 1e-6
                                             for t in observer.observation.detections), 5.0)
        executor.remove_node(observer)
        observer.destroy_node()
    return out, observer.observation.detections, (WORKDIR / "live_monitor.log").read_text()


def test_every_published_frame_matches_the_offline_analysis(played):
    out, tables, log = played
    offline = columns(out / "detections.parquet")
    frames = columns(out / "frames.parquet")
    assert len(tables) >= 5, log
    for table in tables:
        match = np.flatnonzero(np.abs(frames["stamp"] - table.stamp) < 1e-6)
        assert len(match) == 1, f"the node published a frame at {table.stamp} the bag lacks"
        rows = np.abs(offline["stamp"] - table.stamp) < 1e-6
        assert rows.sum() == len(table.rows) == frames["detections"][match[0]]
        expected = np.stack([offline[name][rows] for name in table.fields], axis=1)
        np.testing.assert_allclose(table.rows, expected, rtol=1e-4, atol=1e-4)
