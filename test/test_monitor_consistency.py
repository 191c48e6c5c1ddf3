"""Cross-modal consistency signals: synthetic evidence maps, then one short drive of the shipped
model with a frozen camera and a LiDAR turned by 5°."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from lmd_ros.adapters.protocol import BEVGrid
from lmd_ros.monitor.assembly import build_core
from lmd_ros.monitor.consistency import MOTION_LAG, EvidenceConsistency
from lmd_ros.monitor.settings import MonitorSettings
from lmd_ros.world import Drive, WorldConfig

GRID = BEVGrid((-24.0, 24.0), (-24.0, 24.0), 0.75)
MODALITIES = ("camera", "radar", "lidar")
OBJECTS = np.array([[10.0, 3.0], [-6.0, 12.0], [15.0, -9.0], [3.0, -18.0], [-17.0, -4.0],
                    [19.0, 13.0]])
"""Ego (x, y) of the synthetic scene's objects, spread over ranges and bearings."""


def blobs(centres: np.ndarray, sigma_m: float = 0.8) -> np.ndarray:
    """An evidence map with one Gaussian blob per object centre."""
    rows, cols = GRID.shape
    x = GRID.x_range[0] + (np.arange(rows) + 0.5) * GRID.resolution
    y = GRID.y_range[0] + (np.arange(cols) + 0.5) * GRID.resolution
    d2 = (x[None, :, None] - centres[:, 0, None, None]) ** 2 + \
        (y[None, None, :] - centres[:, 1, None, None]) ** 2
    return np.exp(-d2 / (2 * sigma_m ** 2)).sum(axis=0)


def rotated(centres: np.ndarray, yaw_deg: float) -> np.ndarray:
    """Centres turned counter-clockwise about the ego origin."""
    c, s = math.cos(math.radians(yaw_deg)), math.sin(math.radians(yaw_deg))
    return centres @ np.array([[c, s], [-s, c]])


def test_identical_maps_agree_without_offset():
    signals = EvidenceConsistency(MODALITIES, GRID).update(np.stack([blobs(OBJECTS)] * 3))
    assert set(signals) == set(MODALITIES)
    for s in signals.values():
        assert s.agreement == pytest.approx(1.0)
        assert s.yaw_offset_deg == pytest.approx(0.0, abs=0.05)
        assert s.motion is None  # no past frame


@pytest.mark.parametrize("yaw_deg", [4.0, -4.0, 2.5])
def test_a_turned_map_reads_its_rotation_counter_clockwise_positive(yaw_deg):
    evidence = np.stack([blobs(OBJECTS), blobs(OBJECTS), blobs(rotated(OBJECTS, yaw_deg))])
    signals = EvidenceConsistency(MODALITIES, GRID).update(evidence)
    assert signals["lidar"].yaw_offset_deg == pytest.approx(yaw_deg, abs=0.3)
    for healthy in ("camera", "radar"):  # their reference holds the turned map: smaller, opposite
        offset = signals[healthy].yaw_offset_deg
        assert offset * yaw_deg <= 0 and abs(offset) < abs(yaw_deg) - 0.5


def test_two_modalities_read_opposite_offsets():
    """With M == 2 each is the other's reference: a yaw error shows, but not whose it is."""
    evidence = np.stack([blobs(OBJECTS), blobs(rotated(OBJECTS, 3.0))])
    signals = EvidenceConsistency(("front_radar", "roof_lidar"), GRID).update(evidence)
    assert signals["roof_lidar"].yaw_offset_deg == pytest.approx(3.0, abs=0.3)
    assert signals["front_radar"].yaw_offset_deg == pytest.approx(-3.0, abs=0.3)
    assert signals["roof_lidar"].agreement == pytest.approx(signals["front_radar"].agreement)


def test_a_map_that_stays_still_while_the_scene_moves_has_no_motion():
    consistency = EvidenceConsistency(MODALITIES, GRID, motion_lag=3)
    frozen = blobs(OBJECTS)
    for step in range(4):
        moving = blobs(OBJECTS - [0.8 * step, 0.0])
        signals = consistency.update(np.stack([frozen, moving, moving]))
        assert all((s.motion is None) == (step < 3) for s in signals.values())
    assert signals["camera"].motion == 0.0
    assert signals["radar"].motion == pytest.approx(1.0)
    assert signals["lidar"].motion == pytest.approx(1.0)
    assert signals["camera"].agreement < signals["radar"].agreement


def test_one_modality_has_nothing_to_compare():
    consistency = EvidenceConsistency(("lidar",), GRID)
    assert consistency.update(blobs(OBJECTS)[None]) == {}


def test_empty_or_broken_maps_give_no_signals_and_no_nan():
    consistency = EvidenceConsistency(MODALITIES, GRID, motion_lag=1)
    assert consistency.update(np.zeros((3, *GRID.shape))) == {}
    scene = blobs(OBJECTS)
    broken = scene.copy()
    broken[5, 5] = np.nan
    signals = consistency.update(np.stack([np.zeros(GRID.shape), broken, scene]))
    assert signals == {}  # lidar is the only usable map: nothing to compare it with
    signals = consistency.update(np.stack([scene, -scene, scene]))  # no positive evidence
    assert set(signals) == {"camera", "lidar"}
    assert all(s.motion is None for s in signals.values())  # the previous frame had no pair
    signals = consistency.update(np.stack([scene, scene, scene]))
    assert set(signals) == set(MODALITIES)
    assert signals["radar"].motion is None  # radar had no map on the frame before
    assert signals["camera"].motion is None  # nothing changed: motion says nothing
    values = [v for s in signals.values() for v in dataclasses.astuple(s) if v is not None]
    assert np.isfinite(values).all()


def test_disjoint_maps_have_no_yaw_offset():
    evidence = np.stack([blobs(OBJECTS[:1]), blobs(OBJECTS[1:2]), blobs(OBJECTS[1:2])])
    signals = EvidenceConsistency(MODALITIES, GRID).update(evidence)
    assert signals["camera"].agreement == pytest.approx(0.0, abs=1e-6)
    assert signals["camera"].yaw_offset_deg is None


def test_wrong_shape_and_lag_are_refused():
    with pytest.raises(ValueError, match="expected"):
        EvidenceConsistency(MODALITIES, GRID).update(np.zeros((3, 32, 32)))
    with pytest.raises(ValueError, match="motion_lag"):
        EvidenceConsistency(MODALITIES, GRID, motion_lag=0)


def turned(points: np.ndarray, yaw_deg: float) -> np.ndarray:
    """A cloud turned counter-clockwise about its sensor's origin: a yaw decalibration."""
    out = points.copy()
    out[:, :2] = rotated(points[:, :2], yaw_deg)
    return out


FROZEN_IMAGE = 5
"""The frozen variant's cameras show this frame's images from it on (what the world's
``camera_frozen`` fault does, without rendering the drive twice)."""


@pytest.fixture(scope="module")
def drive_signals() -> dict[str, list[dict]]:
    """Signals of 24 frames: clean, frozen cameras, LiDAR turned by 5°."""
    core = build_core(MonitorSettings())
    frames = [f for f, _ in Drive(seed=7, config=WorldConfig(duration_s=2.4))]
    variants = {
        "clean": frames,
        "frozen": [dataclasses.replace(f, images=frames[min(i, FROZEN_IMAGE)].images)
                   for i, f in enumerate(frames)],
        "lidar5": [dataclasses.replace(f, lidar=turned(f.lidar, 5.0)) for f in frames],
    }
    signals = {}
    for name, sequence in variants.items():
        consistency = EvidenceConsistency(core.modalities, core.attributor.adapter.bev_grid)
        signals[name] = [consistency.update(core.attributor(f, core.rig).evidence)
                         for f in sequence]
    return signals


def mean_signal(frames: list[dict], modality: str, name: str) -> float:
    values = [getattr(s[modality], name) for s in frames if modality in s]
    return float(np.mean([v for v in values if v is not None]))


def test_a_frozen_camera_stops_moving_with_the_scene(drive_signals):
    still = slice(FROZEN_IMAGE + MOTION_LAG, None)  # motion compares two frozen images
    clean, frozen = drive_signals["clean"][still], drive_signals["frozen"][still]
    assert mean_signal(frozen, "camera", "motion") < 0.5 * mean_signal(clean, "camera", "motion")
    assert mean_signal(frozen, "camera", "agreement") < \
        0.6 * mean_signal(clean, "camera", "agreement")


def test_a_turned_lidar_reads_its_yaw_offset(drive_signals):
    clean = mean_signal(drive_signals["clean"], "lidar", "yaw_offset_deg")
    turned_lidar = mean_signal(drive_signals["lidar5"], "lidar", "yaw_offset_deg")
    assert abs(clean) < 1.5
    assert turned_lidar - clean > 3.0
