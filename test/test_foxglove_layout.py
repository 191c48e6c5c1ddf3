"""The Foxglove layout shows topics that an analysed drive really has.

Foxglove opens the annotated bag (`lmd_analyze_bag` writes ``annotated/``) together with the
input bag, so every topic the layout shows must be in one of the two, and the sensor clouds in
the input bag; the shares plot reads the layout's own user script, fed by ``/diagnostics``.
"""

from __future__ import annotations

import json
import re

from rosbags.rosbag2 import Reader
from test_bag_support import healthy, synthetic_bag

SCRIPT_PREFIX = "/studio_script/"


def _topics(bag) -> set[str]:
    with Reader(bag) as reader:
        return {c.topic for c in reader.connections}


def _shown(layout: dict) -> dict[str, set[str]]:
    """Topics per panel kind: 3-D, images, plot, diagnostics, user scripts' inputs/outputs."""
    panels = layout["configById"]
    shown: dict[str, set[str]] = {}
    for panel_id, config in panels.items():
        kind = panel_id.split("!")[0]
        topics = set(config.get("topics", {}))
        topics |= {config["imageMode"]["imageTopic"]} if "imageMode" in config else set()
        topics |= {p["value"].split(".")[0] for p in config.get("paths", [])}
        topics |= {config["topicToRender"]} if "topicToRender" in config else set()
        shown.setdefault(kind, set()).update(topics)
    for node in layout["userNodes"].values():
        source = node["sourceCode"]
        shown.setdefault("script inputs", set()).update(
            re.findall(r'"(/[^"]+)"', re.search(r"inputs = \[(.*?)\]", source).group(1)))
        shown.setdefault("script outputs", set()).add(
            re.search(r'output = "([^"]+)"', source).group(1))
    return shown


def test_every_panel_topic_is_in_the_annotated_or_input_bag(repo_root):
    layout = json.loads((repo_root / "foxglove" / "lmd_ros.json").read_text())
    shown = _shown(layout)
    annotated, recorded = _topics(healthy() / "annotated"), _topics(synthetic_bag(2.0))
    assert {"3D", "Image", "Plot", "DiagnosticSummary"} <= set(shown)
    assert {"/lmd_monitor/markers", "/lmd_monitor/detections"} <= shown["3D"] & annotated
    assert {"/lidar/points", "/radar/points"} <= shown["3D"] & recorded
    assert shown["Image"] == {"/lmd_monitor/bev_contributions", "/lmd_monitor/camera_overlay"}
    assert shown["Image"] <= annotated
    assert shown["DiagnosticSummary"] == {"/diagnostics"} <= annotated
    assert shown["script inputs"] <= annotated
    assert shown["Plot"] <= shown["script outputs"], "the plot reads the share script"
    everything = set().union(*shown.values()) - shown["script outputs"]
    assert everything <= annotated | recorded, everything - annotated - recorded
    assert all(t.startswith(SCRIPT_PREFIX) for t in shown["script outputs"])
    panels = set(layout["configById"])
    assert panels == set(re.findall(r'"([A-Za-z0-9]+![a-z_]+)"', json.dumps(layout["layout"])))
