"""The shipped checkpoint finds the vehicles of a held-out scene, and loads with weights_only."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from lmd_ros.adapters import read_output
from lmd_ros.decomposition import decompose
from lmd_ros.model import (
    DEFAULT_CHECKPOINT,
    check_compatible,
    decode_detections,
    load_model,
    preprocess,
)
from lmd_ros.model.dataset import HELD_OUT_FIRST_SEED
from lmd_ros.sensors import MODALITIES
from lmd_ros.world import CLASS_NAMES, Drive, default_rig

CENTRE_TOLERANCE_M = 0.5
SIZE_TOLERANCE_M = 0.75
YAW_TOLERANCE_RAD = 0.2
"""Yaw is compared modulo pi: a box and its 180-degree turn are the same footprint."""


def test_shipped_checkpoint_is_small_and_fuses_all_three_sensors():
    assert DEFAULT_CHECKPOINT.stat().st_size < 3_000_000
    model = load_model()
    check_compatible(model.config, default_rig(), MODALITIES)
    assert model.config.class_names == CLASS_NAMES
    assert not model.training


def test_shipped_model_finds_every_vehicle_of_a_held_out_scene():
    rig = default_rig()
    model = load_model()
    frame, truth = Drive(seed=HELD_OUT_FIRST_SEED, rig=rig).frame(100)
    with torch.no_grad():
        outputs = model(preprocess([frame], rig, model.config))
    vehicle = CLASS_NAMES.index("vehicle")
    found = [d for d in decode_detections(outputs, model.config, 0.3)[0] if d.class_id == vehicle]
    in_grid = model.config.cell_of(truth.boxes[:, 0], truth.boxes[:, 1])[2]
    boxes = truth.boxes[in_grid & (truth.classes == vehicle)]
    assert len(boxes) == len(found) == 6
    for x, y, _, length, width, _, yaw in boxes:
        nearest = min(found, key=lambda d: math.hypot(d.x - x, d.y - y))
        assert math.hypot(nearest.x - x, nearest.y - y) < CENTRE_TOLERANCE_M
        assert abs(nearest.l - length) < SIZE_TOLERANCE_M
        assert abs(nearest.w - width) < SIZE_TOLERANCE_M
        yaw_error = (nearest.yaw - yaw + math.pi / 2) % math.pi - math.pi / 2
        assert abs(yaw_error) < YAW_TOLERANCE_RAD
        assert nearest.score == pytest.approx(
            torch.sigmoid(read_output(outputs, nearest.output)).item(), rel=1e-6)


def test_shipped_model_decomposes_exactly_into_its_heatmap_logits():
    """LMD at the fusion point, in float64: the streams add up to the heatmap logits to 1e-10,
    and a silent sensor's stream is exactly zero."""
    rig = default_rig()
    model = load_model().double()
    frame = Drive(seed=HELD_OUT_FIRST_SEED + 1, rig=rig).frame(50)[0]
    inputs = preprocess([frame], rig, model.config).to(torch.float64)
    modalities = {m: i for i, m in enumerate(model.config.modalities)}
    with torch.no_grad():
        d = decompose(model.head, modalities, *model.encode(inputs))
        plain = model(inputs)
    heatmap = plain["heatmap"]
    assert torch.equal(d.reference["heatmap"], heatmap)
    total = sum(d.streams[name]["heatmap"] for name in (*modalities, "bias"))
    assert ((total - heatmap).abs().max() / heatmap.abs().max()).item() < 1e-10
    for name in modalities:
        assert d.streams[name]["heatmap"].abs().max() > 0

    silent = dataclasses.replace(frame, radar=None)
    inputs = preprocess([silent], rig, model.config).to(torch.float64)
    with torch.no_grad():
        d = decompose(model.head, modalities, *model.encode(inputs))
    assert not d.streams["radar"]["heatmap"].any()
