"""The calibrated, two-sided detector on synthetic share series, and the evidence it combines:
corroborated input statistics, consistency signals, recorded updates that replay exactly."""

import numpy as np
import pytest

from lmd_ros.monitor.alarm_calibration import fit_spreads, read_spreads, write_spreads
from lmd_ros.monitor.alarms import AlarmConfig, AlarmMonitor, AlarmUpdate, Level

MODALITIES = ("camera", "radar", "lidar")
DT = 0.1
FRESH = dict.fromkeys(MODALITIES, 0.05)


def drive(monitor, shares, start=0.0, statistics=None, consistency=None):
    """One update per DT; ``shares`` maps a modality to its series (others stay at normal)."""
    events = []
    length = len(next(iter(shares.values())))
    for i in range(length):
        stamp = round(start + i * DT, 9)
        events += monitor.feed(AlarmUpdate(
            stamp, {m: series[i] for m, series in shares.items()}, dict.fromkeys(shares, 0.05),
            statistics={m: {k: v[i] for k, v in s.items()} for m, s in (statistics or {}).items()},
            consistency={m: {k: v[i] for k, v in s.items()}
                         for m, s in (consistency or {}).items()}))
    return events


def noisy(mean, spread, n, seed=0):
    return list(np.random.default_rng(seed).normal(mean, spread, n).clip(0, 1))


def test_noise_at_a_four_percent_radar_baseline_never_alarms():
    """A learnt 4 % baseline with ±2 % frame noise: the spread floor keeps it quiet for 10 min."""
    monitor = AlarmMonitor(("radar",), AlarmConfig())
    assert drive(monitor, {"radar": noisy(0.04, 0.02, 6000)}) == []
    assert monitor.status()["radar"].baseline == pytest.approx(0.04, abs=0.01)


def test_a_forty_percent_drop_of_a_steady_share_is_caught():
    config = AlarmConfig(spreads={"camera": 0.03})
    monitor = AlarmMonitor(("camera",), config)
    before, during = noisy(0.35, 0.02, 100, seed=1), noisy(0.21, 0.02, 50, seed=2)
    events = drive(monitor, {"camera": before + during})
    (event,) = events
    assert event.new == Level.WARN and 10.0 < event.stamp < 10.0 + config.hold_s + 1.5
    assert "share" in event.reason and "z -" in event.reason


def test_a_slow_drift_warns_once_it_is_far_enough_from_normal():
    monitor = AlarmMonitor(("camera",), AlarmConfig(spreads={"camera": 0.03}))
    drift = list(np.linspace(0.35, 0.05, 600))  # 60 s from 0.35 to 0.05
    events = drive(monitor, {"camera": [0.35] * 50 + drift})
    assert [e.new for e in events] == [Level.WARN, Level.ERROR]
    warned = 5.0 + (0.35 - (0.35 - 4 * 0.03)) / (0.30 / 60)  # 4 spreads of drift, plus hold + lag
    assert warned < events[0].stamp < warned + 3.0


def test_a_share_that_rises_abnormally_warns_but_is_never_an_error():
    monitor = AlarmMonitor(("radar",), AlarmConfig(spreads={"radar": 0.02}))
    events = drive(monitor, {"radar": [0.05] * 100 + [0.6] * 100})
    assert [e.new for e in events] == [Level.WARN]
    assert "z +" in events[0].reason


def test_an_input_statistic_alone_is_a_note_and_with_the_share_a_warning():
    config = AlarmConfig(spreads={"camera": 0.03, "camera/front contrast": 2.0})
    contrast = [48.0] * 100 + [30.0] * 100  # far off its normal from 10 s on
    quiet = AlarmMonitor(("camera",), config)
    assert drive(quiet, {"camera": [0.35] * 200},
                 statistics={"camera": {"front contrast": contrast}}) == []
    status = quiet.status()["camera"]
    assert status.level == Level.OK and "front contrast 30" in status.reason
    assert "(share unaffected)" in status.reason
    # the same statistic while the share moves 2.3 spreads (not enough alone) is a warning
    corroborated = AlarmMonitor(("camera",), config)
    (event,) = drive(corroborated, {"camera": [0.35] * 100 + [0.28] * 100},
                     statistics={"camera": {"front contrast": contrast}})
    assert event.new == Level.WARN
    assert event.reason.startswith("front contrast 30") and "share 0.28" in event.reason


def test_a_consistency_signal_warns_on_its_own_with_the_share_beside_it():
    config = AlarmConfig(spreads={"lidar": 0.03, "lidar/yaw offset": 0.5})
    monitor = AlarmMonitor(("lidar",), config)
    offset = [0.0] * 100 + [4.0] * 100
    (event,) = drive(monitor, {"lidar": [0.5] * 200},
                     consistency={"lidar": {"yaw offset": offset}})
    assert event.new == Level.WARN
    assert event.reason.startswith("yaw offset 3.8") and "share 0.5" in event.reason


def test_recorded_updates_replay_the_alarms_exactly():
    config = AlarmConfig()
    updates = [AlarmUpdate(round(i * DT, 9), dict.fromkeys(MODALITIES, share), FRESH)
               for i, share in enumerate(noisy(0.35, 0.03, 100) + [0.05] * 50)]
    first, second = AlarmMonitor(MODALITIES, config), AlarmMonitor(MODALITIES, config)
    events = [e for u in updates for e in first.feed(u)]
    assert events and [e for u in updates for e in second.feed(u)] == events
    assert first.timeline() == second.timeline()


def test_spreads_fitted_on_clean_drives_round_trip_through_the_file(tmp_path):
    drives = [[AlarmUpdate(i * DT, {"camera": share}, FRESH,
                           statistics={"camera": {"front contrast": 48 + share * 10}})
               for i, share in enumerate(noisy(0.35, 0.03, 300, seed=seed))] for seed in (1, 2)]
    spreads = fit_spreads(drives, AlarmConfig().signal_config(share=True))
    assert set(spreads) == {"camera", "camera/front contrast"}
    assert 0.005 < spreads["camera"] < 0.03  # the EMA strays less than one frame's noise
    assert spreads["camera/front contrast"] == pytest.approx(10 * spreads["camera"], rel=1e-6)
    path = tmp_path / "spreads.yaml"
    write_spreads(path, spreads, "test")
    assert read_spreads(path) == pytest.approx(spreads, rel=1e-5)
    path.write_text("spreads: {camera: -1}")
    with pytest.raises(ValueError, match="numbers > 0"):
        read_spreads(path)


def test_a_share_rising_because_another_sensor_lost_its_own_is_no_alarm():
    """Shares sum to 1: while the LiDAR's collapses, the camera's rise is its consequence."""
    config = AlarmConfig(spreads=dict.fromkeys(MODALITIES, 0.03))
    monitor = AlarmMonitor(MODALITIES, config)
    events = drive(monitor, {"camera": [0.3] * 100 + [0.8] * 100,
                             "radar": [0.2] * 200, "lidar": [0.5] * 100 + [0.0] * 100})
    assert {e.sensor for e in events} == {"lidar"}
    assert monitor.status()["camera"].level == Level.OK


def test_only_the_sensor_furthest_off_on_a_consistency_signal_is_blamed():
    """A rotated LiDAR turns the others' reference too: they read a smaller opposite offset."""
    config = AlarmConfig(spreads={m: 0.03 for m in MODALITIES}
                         | {f"{m}/yaw offset": 0.4 for m in MODALITIES})
    monitor = AlarmMonitor(MODALITIES, config)
    offsets = {"lidar": [0.0] * 100 + [5.0] * 100, "camera": [0.0] * 100 + [-1.8] * 100,
               "radar": [0.0] * 100 + [-1.8] * 100}
    events = drive(monitor, {"camera": [0.3] * 200, "radar": [0.2] * 200, "lidar": [0.5] * 200},
                   consistency={m: {"yaw offset": v} for m, v in offsets.items()})
    assert [(e.sensor, e.new) for e in events] == [("lidar", Level.WARN)]
