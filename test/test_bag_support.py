"""Shared by the test_bag_* modules (no tests here): a checkpoint, synthetic bags and their
analyses, each made once per test run and cached."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pyarrow.parquet as pq
import torch
import yaml
from rosbags.rosbag2 import Reader, Writer
from rosbags.typesys.store import Typestore

from lmd_ros.bag.analysis import AnalysisOptions, analyse_bag
from lmd_ros.bag.cdr import typestore
from lmd_ros.bag.make_bag import CALIBRATION, make_bag
from lmd_ros.model.checkpoint import save_checkpoint
from lmd_ros.model.config import ModelConfig
from lmd_ros.model.simplebev import SimpleBEV
from lmd_ros.monitor.settings import NODE_NAME

WORKDIR = Path(tempfile.mkdtemp(prefix="lmd_bag_tests_"))
atexit.register(shutil.rmtree, WORKDIR, ignore_errors=True)


TINY = ModelConfig(x_range=(-12.0, 12.0), y_range=(-12.0, 12.0), bev_channels=(8, 16, 16),
                   camera_channels=4)
"""The rig's cameras and sensors on a small grid: ~4x faster than the shipped size."""


@functools.cache
def checkpoint() -> Path:
    """A seeded untrained small model: its random weights still give detections whose
    decompositions are exact, which is all the pipeline tests need, and fast. Tests of what a
    trained model sees use `DEFAULT_CHECKPOINT`."""
    torch.manual_seed(0)
    path = WORKDIR / "untrained.pt"
    save_checkpoint(path, SimpleBEV(TINY), {"note": "untrained, for tests"})
    return path


def synthetic_bag(seconds: float, seed: int = 0, faults: tuple[str, ...] = (),
                  storage: str = "mcap", rate_hz: float = 10.0) -> Path:
    path = WORKDIR / f"drive_{seconds}_{seed}_{'_'.join(faults)}_{storage}_{rate_hz}"
    if not path.exists():
        make_bag(path, seconds, seed, list(faults), storage, rate_hz)
    return path


@functools.cache
def node_config() -> Path:
    """Parameters for a monitor node fed by `lmd_play_bag`, also read by the offline runs that
    are compared with it. A long ``stale_after``: on two shared cores a busy node handles
    messages late, and its sets must not depend on that."""
    path = WORKDIR / "node_params.yaml"
    path.write_text(yaml.safe_dump({NODE_NAME: {"ros__parameters": {
        "checkpoint": str(checkpoint()), "use_sim_time": True, "qos_reliability": "reliable",
        "qos_depth": 50, "stale_after": 5.0}}}))
    return path


def healthy() -> Path:
    """The output folder of a healthy 2 s drive analysed with `node_config()`."""
    return analysed(synthetic_bag(2.0), node_config())


@functools.cache
def analysed(bag: Path, config: Path | None = None) -> Path:
    """The output folder of ``bag`` analysed with `checkpoint()`."""
    out = WORKDIR / f"out_{bag.name}_{config.stem if config else 'default'}"
    analyse_bag(bag, out, AnalysisOptions(config=config, checkpoint=checkpoint()))
    return out


def rewrite(source: Path, target: Path, keep: Callable[[str], bool] = lambda topic: True,
            retype: Mapping[str, str] = MappingProxyType({}),
            change: Callable[[str, int, bytes], bytes] = lambda topic, i, raw: raw,
            extra: Sequence[tuple[str, str, Typestore, bytes]] = ()) -> Path:
    """Copy a bag message by message: drop topics, relabel types (the data stays), edit raw
    CDR (``change(topic, index on topic, raw)``), add ``extra`` (topic, type, the type store
    defining it, CDR) messages at the start. The calibration file comes along, if any."""
    kilted = typestore("kilted")
    with Reader(source) as reader, Writer(target, version=9) as writer:
        for topic, msgtype, store, raw in extra:
            writer.write(writer.add_connection(topic, msgtype, typestore=store),
                         reader.start_time, raw)
        connections = {
            c.id: writer.add_connection(c.topic, retype.get(c.topic, c.msgtype), typestore=kilted)
            for c in reader.connections if keep(c.topic)}
        counts: dict[str, int] = {}
        for c, time_ns, raw in reader.messages():
            if c.id in connections:
                index = counts[c.topic] = counts.get(c.topic, -1) + 1
                writer.write(connections[c.id], time_ns, change(c.topic, index, raw))
    if (source / CALIBRATION).exists():
        shutil.copy(source / CALIBRATION, target / CALIBRATION)
    return target


def columns(path: Path) -> dict[str, np.ndarray]:
    """A Parquet table as numpy columns (strings as object arrays, nulls as NaN)."""
    table = pq.read_table(path)
    return {name: table[name].to_numpy(zero_copy_only=False) for name in table.column_names}
