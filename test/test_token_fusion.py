"""The shipped token-fusion example (attention over sensor tokens, object queries) through every
consumer of the adapter protocol: `MonitorCore`, the bag analysis and the live node over DDS."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest
import torch
from ros_testing import ros_node
from test_bag_support import WORKDIR, columns, synthetic_bag

from lmd_ros.bag.analysis import AnalysisOptions, analyse_bag
from lmd_ros.examples.token_fusion import SHIPPED_CHECKPOINT, TokenFusionAdapter
from lmd_ros.monitor.alarms import Level
from lmd_ros.monitor.assembly import build_core
from lmd_ros.monitor.settings import MonitorSettings
from lmd_ros.ros.observer import MonitorObserver
from lmd_ros.ros.session import DriveScenario, SimulatedDrive
from lmd_ros.world import Drive

MODEL = "lmd_ros.examples.token_fusion:build"
SCORE_THRESHOLD = 0.05
"""Low, so that every frame has detections to check, whatever the model's calibration."""
EXACT = 1e-4
MAX_CHECKPOINT_BYTES = 5 * 1024 * 1024
LIDAR_SILENT_FROM_S = 3.0
"""In the live drive; in the (shorter) bag the LiDAR goes silent at ``BAG_LIDAR_SILENT_FROM_S``."""
BAG_LIDAR_SILENT_FROM_S = 1.4


@pytest.fixture(scope="module")
def core():
    core = build_core(MonitorSettings(model=MODEL, score_threshold=SCORE_THRESHOLD,
                                         max_detections=20))
    return core


@pytest.fixture(scope="module")
def frame():
    return Drive(seed=100_003).frame(40)[0]


def _assert_exact(contributions: np.ndarray, logits: np.ndarray, scores: np.ndarray) -> None:
    assert len(logits) > 0, "no detections to check"
    np.testing.assert_allclose(contributions.sum(axis=1), logits, atol=EXACT, rtol=0)
    np.testing.assert_allclose(1 / (1 + np.exp(-logits)), scores, atol=1e-5, rtol=0)


def test_checkpoint_is_small_plain_data_with_its_training_record():
    assert SHIPPED_CHECKPOINT.stat().st_size <= MAX_CHECKPOINT_BYTES
    checkpoint = torch.load(SHIPPED_CHECKPOINT, map_location="cpu", weights_only=True)
    info = checkpoint["train_info"]
    assert info["steps"] > 0 and info["final_loss"] < info["first_loss"]
    assert "held_out camera+radar+lidar AP vehicle" in info


def test_core_splits_each_query_logit_exactly(core, frame):
    assert isinstance(core.attributor.adapter, TokenFusionAdapter)
    assert core.modalities == ("camera", "radar", "lidar")
    result = core.attributor(frame, core.rig)
    _assert_exact(result.contributions, result.logits,
                  np.array([d.score for d in result.detections]))
    assert all(d.output[0] == "logits" for d in result.detections)
    assert (np.abs(result.contributions[:, :3]) > 0).all(axis=0).any()
    assert result.evidence.shape == (3, 64, 64) and (result.evidence >= 0).all()


def test_silent_lidar_and_silent_everything(core, frame):
    no_lidar = core.attributor(dataclasses.replace(frame, lidar=None), core.rig)
    assert no_lidar.present["lidar"] is False
    np.testing.assert_array_equal(no_lidar.contributions[:, 2], 0.0)
    assert np.abs(no_lidar.contributions[:, :2]).sum() > 0
    silent = core.attributor(dataclasses.replace(frame, images={}, radar=None, lidar=None),
                             core.rig)
    np.testing.assert_array_equal(silent.contributions[:, :3], 0.0)
    np.testing.assert_allclose(silent.contributions[:, 3], silent.logits, atol=EXACT)


def test_a_missing_camera_is_an_absent_token_set(core, frame):
    images = {name: image for name, image in frame.images.items() if name != "front"}
    result = core.attributor(dataclasses.replace(frame, images=images), core.rig)
    _assert_exact(result.contributions, result.logits,
                  np.array([d.score for d in result.detections]))


@pytest.fixture(scope="module")
def analysed_bag():
    bag = synthetic_bag(3.0, seed=7, faults=(f"lidar_silent@{BAG_LIDAR_SILENT_FROM_S}:9",),
                        rate_hz=5.0)
    out = WORKDIR / "token_fusion_analysis"
    config = WORKDIR / "token_fusion.yaml"
    config.write_text(f"lmd_monitor:\n  ros__parameters:\n    score_threshold: {SCORE_THRESHOLD}\n"
                      "    silent_after_s: 0.5\n")
    summary = analyse_bag(bag, out, AnalysisOptions(config=config, model=MODEL))
    return summary, out


def test_bag_analysis_runs_the_token_fusion_model(analysed_bag):
    summary, out = analysed_bag
    assert "token-fusion" in summary["model"]
    table = columns(out / "detections.parquet")
    names = ("c_camera", "c_radar", "c_lidar", "c_bias")
    _assert_exact(np.stack([table[n] for n in names], 1).astype(np.float64),
                  table["logit"].astype(np.float64), table["score"].astype(np.float64))
    t0 = summary["start_s"]
    silent = table["stamp"] - t0 >= BAG_LIDAR_SILENT_FROM_S
    assert silent.any() and (~silent).any()
    np.testing.assert_array_equal(table["c_lidar"][silent], 0.0)
    assert np.abs(table["c_lidar"][~silent]).sum() > 0
    alarms = columns(out / "alarms.parquet")
    lidar_errors = alarms["onset"][(alarms["sensor"] == "lidar") & (alarms["level"] == "ERROR")]
    assert len(lidar_errors) and lidar_errors[0] - t0 >= BAG_LIDAR_SILENT_FROM_S, alarms


LIVE = DriveScenario(
    seed=100_004, duration_s=8.0, start_delay_s=6.0,
    faults=(f"lidar_silent@{LIDAR_SILENT_FROM_S}:99",),
    monitor={"model": MODEL, "score_threshold": SCORE_THRESHOLD, "silent_after_s": 1.0,
             "publish_camera_overlay": False})
SLACK_S = 5.0
"""Allowance for a loaded 2-core machine on top of ``silent_after_s``."""


def test_live_node_publishes_exact_contributions_and_a_lidar_error(tmp_path):
    with ros_node("lmd_test_token_fusion") as (node, executor), \
            SimulatedDrive(LIVE, log_dir=tmp_path) as session:
        observer = MonitorObserver(context=node.context)
        executor.add_node(observer)
        observation = observer.observation

        def lidar_error() -> bool:
            return any(level == Level.ERROR for _, level, _ in observation.levels.get("lidar", []))

        while session.running() and time.time() < session.end + SLACK_S and not (
                lidar_error() and any(t.stamp > session.start + LIDAR_SILENT_FROM_S + 1.0
                                      and len(t.rows) for t in observation.detections)):
            executor.spin_once(timeout_sec=0.05)
        codes = session.stop()
        executor.remove_node(observer)
        observer.destroy_node()
    log = session.log("monitor")
    assert codes["monitor"] == 0, log
    tables = [t for t in observation.detections if len(t.rows)]
    assert tables, log
    for table in tables:
        names = ("c_camera", "c_radar", "c_lidar", "c_bias")
        logits = sum(table.column(n).astype(np.float64) for n in names)
        np.testing.assert_allclose(1 / (1 + np.exp(-logits)), table.column("score"), atol=1e-4)
    changes = observation.level_changes("lidar")
    errors = [t for t, level, _ in changes if level == Level.ERROR]
    assert errors, changes
    assert errors[0] - session.start <= LIDAR_SILENT_FROM_S + 1.0 + SLACK_S, changes
    late = [t for t in tables if t.stamp > session.start + LIDAR_SILENT_FROM_S + 1.0]
    assert late, log
    for table in late:
        np.testing.assert_array_equal(table.column("c_lidar"), 0.0)
