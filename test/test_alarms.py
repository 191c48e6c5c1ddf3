"""Modality shares and the alarms raised on them: holds, hysteresis, silence, spans."""

import numpy as np
import pytest

from lmd_ros.monitor.alarms import AlarmConfig, AlarmMonitor, AlarmSpan, InputFault, Level
from lmd_ros.monitor.shares import modality_shares

MODALITIES = ("camera", "radar", "lidar")
BASELINES = {"camera": 0.3, "radar": 0.2, "lidar": 0.5}
SPREADS = dict.fromkeys(MODALITIES, 0.05)  # lidar: WARN outside (0.35, 0.65), ERROR < 0.15
DT = 0.1
FRESH = dict.fromkeys(MODALITIES, 0.05)


def make_monitor(**overrides) -> AlarmMonitor:
    settings = dict(baselines=BASELINES, spreads=SPREADS, warn_z=3.0, error_z=7.0, hold_s=1.0,
                    clear_s=2.0, ema_alpha=1.0, recovery=0.5, min_spread=0.0, relative_spread=0.0)
    return AlarmMonitor(MODALITIES, AlarmConfig(**(settings | overrides)))


def run(monitor, start, stop, lidar_share, ages=FRESH):
    """Frames every DT in [start, stop) with the lidar share given by a function of time."""
    events = []
    for i in range(round((stop - start) / DT)):
        stamp = round(start + i * DT, 9)
        shares = BASELINES | {"lidar": lidar_share(stamp)}
        events += monitor.update(stamp, shares, ages)
    return events


def constant(value):
    return lambda stamp: value


def alternating(value, other, period):
    """``other`` on every ``period``-th frame, ``value`` on the rest."""
    return lambda stamp: value if round(stamp / DT) % period else other


# --- shares -------------------------------------------------------------------------------


def test_shares_are_magnitude_fractions_for_scalars():
    shares = modality_shares({"camera": 1.0, "radar": -1.0, "lidar": 2.0})
    assert shares == {"camera": 0.25, "radar": 0.25, "lidar": 0.5}
    assert all(isinstance(share, float) for share in shares.values())


def test_shares_are_vectorised_over_detections_and_zero_without_evidence():
    shares = modality_shares(
        {"camera": np.array([3.0, 0.0, 1.0]), "radar": np.array([1.0, 0.0, 0.0]), "lidar": 0.0}
    )
    np.testing.assert_allclose(shares["camera"], [0.75, 0.0, 1.0])
    np.testing.assert_allclose(shares["radar"], [0.25, 0.0, 0.0])
    np.testing.assert_allclose(shares["lidar"], [0.0, 0.0, 0.0])
    assert modality_shares({"camera": 0.0, "lidar": 0.0}) == {"camera": 0.0, "lidar": 0.0}


def test_a_non_finite_contribution_is_not_hidden_as_a_share():
    shares = modality_shares({"camera": np.array([1.0, np.nan]), "lidar": np.array([1.0, 1.0])})
    np.testing.assert_allclose(shares["camera"], [0.5, np.nan])
    assert np.isnan(shares["lidar"][1])


# --- share alarms -------------------------------------------------------------------------


def test_a_clean_drop_warns_after_hold_s_and_not_before():
    monitor = make_monitor()
    assert run(monitor, 0.0, 10.0, constant(0.5)) == []
    events = run(monitor, 10.0, 13.0, constant(0.2))
    assert [(e.stamp, e.sensor, e.old, e.new) for e in events] == [
        (11.0, "lidar", Level.OK, Level.WARN)
    ]
    assert "share 0.2, z -6.0 (normal 0.5 ± 0.05) for 1.00 s" in events[0].reason
    assert (events[0].share, events[0].baseline) == (0.2, 0.5)
    status = monitor.status()["lidar"]
    assert (status.level, status.share, status.baseline) == (Level.WARN, 0.2, 0.5)
    assert status.share_z == pytest.approx(-6.0)
    assert (status.band.warn_below, status.band.warn_above, status.band.error_below) == \
        pytest.approx((0.35, 0.65, 0.15))
    assert monitor.status()["camera"].level == Level.OK


def test_a_larger_drop_goes_straight_to_error():
    monitor = make_monitor()
    run(monitor, 0.0, 1.0, constant(0.5))
    events = run(monitor, 1.0, 3.0, constant(0.05))
    assert [(e.stamp, e.old, e.new) for e in events] == [(2.0, Level.OK, Level.ERROR)]


def test_recovery_clears_only_after_clear_s_above_the_recovery_threshold():
    monitor = make_monitor()
    run(monitor, 0.0, 2.0, constant(0.2))
    assert monitor.status()["lidar"].level == Level.WARN
    # Back inside the WARN band but not past the clear bound (1.5 spreads): stays WARN.
    assert run(monitor, 2.0, 10.0, constant(0.4)) == []
    events = run(monitor, 10.0, 13.0, constant(0.45))
    assert [(e.stamp, e.old, e.new) for e in events] == [(12.0, Level.WARN, Level.OK)]


def test_error_clears_step_by_step():
    monitor = make_monitor()
    run(monitor, 0.0, 2.0, constant(0.0))
    events = run(monitor, 2.0, 5.0, constant(0.3)) + run(monitor, 5.0, 8.0, constant(0.5))
    assert [(e.stamp, e.old, e.new) for e in events] == [
        (4.0, Level.ERROR, Level.WARN),  # 0.3 is past the error clear bound (-5 spreads) for 2 s
        (7.0, Level.WARN, Level.OK),
    ]


def test_noise_around_a_threshold_neither_raises_nor_flaps():
    monitor = make_monitor()
    assert run(monitor, 0.0, 20.0, alternating(0.34, 0.36, 2)) == []
    run(monitor, 20.0, 22.0, constant(0.2))
    assert monitor.status()["lidar"].level == Level.WARN
    assert run(monitor, 22.0, 40.0, alternating(0.41, 0.44, 3)) == []  # clear bound 0.425


def test_smoothing_delays_the_alarm():
    fast = make_monitor()
    slow = make_monitor(ema_alpha=0.1)
    for monitor in (fast, slow):
        run(monitor, 0.0, 5.0, constant(0.5))
    (fast_event,) = run(fast, 5.0, 10.0, constant(0.2))
    (slow_event,) = run(slow, 5.0, 10.0, constant(0.2))
    assert slow_event.stamp > fast_event.stamp + 0.5
    assert slow_event.share <= 0.35


def test_frames_without_detections_do_not_move_the_share_state():
    monitor = make_monitor()
    run(monitor, 0.0, 0.5, constant(0.2))
    before = monitor.status()["lidar"]
    assert run(monitor, 0.5, 5.0, constant(None)) == []
    assert monitor.status()["lidar"].share == before.share
    # The hold that began at 0.0 is still running: the next low share completes it.
    (event,) = monitor.update(5.0, BASELINES | {"lidar": 0.2}, FRESH)
    assert event.new == Level.WARN


def test_a_modality_missing_from_the_shares_counts_as_zero():
    monitor = make_monitor()
    events = []
    for i in range(15):
        events += monitor.update(i * DT, {"camera": 0.3, "radar": 0.2}, FRESH)
    assert [(e.sensor, e.new) for e in events] == [("lidar", Level.ERROR)]
    assert monitor.status()["lidar"].share == 0.0


def test_baseline_is_learnt_over_the_warm_up_frames():
    monitor = make_monitor(baselines={"lidar": None}, warmup_frames=20)
    shares = iter([0.0] * 10 + [0.8] * 10)  # a poor start cannot alarm while learning
    assert run(monitor, 0.0, 2.0, lambda stamp: next(shares)) == []
    status = monitor.status()["lidar"]
    assert status.baseline == pytest.approx(0.4)
    assert status.band.warn_below == pytest.approx(0.25)
    assert monitor.status()["camera"].baseline == pytest.approx(0.3)  # learnt from constant 0.3
    (event,) = run(monitor, 2.0, 4.0, constant(0.1))
    assert (event.new, event.stamp) == (Level.WARN, 3.0)


# --- silence ------------------------------------------------------------------------------


def test_silence_raises_error_at_once_and_clears_after_clear_s_of_messages():
    monitor = make_monitor(silent_after_s=1.0)
    run(monitor, 0.0, 1.0, constant(0.5))
    silent = FRESH | {"lidar": 1.5}
    (event,) = run(monitor, 1.0, 5.0, constant(0.0), ages=silent)
    assert (event.stamp, event.old, event.new) == (1.0, Level.OK, Level.ERROR)
    assert "no message for 1.50 s" in event.reason
    # The zero shares of the silent lidar froze its share state: no share alarm follows.
    assert monitor.status()["lidar"].share == 0.5
    step, clear = run(monitor, 5.0, 10.0, constant(0.5))
    assert (step.stamp, step.old, step.new) == (7.0, Level.ERROR, Level.WARN)
    assert (clear.old, clear.new) == (Level.WARN, Level.OK)
    assert clear.stamp == pytest.approx(9.0, abs=DT + 1e-9)  # 2 s more of arrivals
    assert "messages again" in step.reason and "messages again" in clear.reason


def test_a_sensor_flickering_around_the_silence_limit_stays_in_error():
    monitor = make_monitor(silent_after_s=1.0)
    flicker = [FRESH | {"lidar": 1.5 if i % 10 == 0 else 0.1} for i in range(100)]
    events = []
    for i, ages in enumerate(flicker):
        events += monitor.update(i * DT, BASELINES, ages)
    assert [e.new for e in events] == [Level.ERROR]


def test_a_sensor_never_heard_from_is_stale_until_its_first_message():
    monitor = make_monitor()
    (event,) = monitor.update(0.0, BASELINES, FRESH | {"lidar": None})
    assert (event.sensor, event.new, event.reason) == (
        "lidar",
        Level.STALE,
        "no message received yet",
    )
    (event,) = monitor.update(0.1, BASELINES, FRESH)
    assert (event.old, event.new) == (Level.STALE, Level.OK)


# --- timeline -----------------------------------------------------------------------------


def test_timeline_spans_keep_the_worst_level_and_its_reason():
    monitor = make_monitor()
    run(monitor, 0.0, 1.0, constant(0.5))
    run(monitor, 1.0, 3.0, constant(0.2))  # WARN at 2.0
    run(monitor, 3.0, 5.0, constant(0.0))  # ERROR at 4.0
    run(monitor, 5.0, 12.0, constant(0.5))  # ERROR -> WARN at 7.0, WARN -> OK at 9.0
    run(monitor, 12.0, 14.0, constant(0.2))  # WARN at 13.0, still open
    (first, second) = monitor.timeline()
    assert (first.onset, first.clear, first.sensor, first.level) == (2.0, 9.0, "lidar", Level.ERROR)
    assert first.reason.startswith("share 0, z -10.0")
    assert second == AlarmSpan(13.0, None, "lidar", Level.WARN, second.reason)


def test_stamps_running_backwards_restart_the_timers():
    monitor = make_monitor()
    run(monitor, 100.0, 100.5, constant(0.2))
    assert run(monitor, 0.0, 0.9, constant(0.2)) == []
    (event,) = run(monitor, 0.9, 1.2, constant(0.2))
    assert (event.stamp, event.new) == (1.0, Level.WARN)


# --- configuration ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"warn_z": 9.0, "error_z": 8.0}, "warn_z < error_z"),
        ({"corroborate_z": 5.0, "warn_z": 4.0}, "corroborate_z <= warn_z"),
        ({"min_spread": -0.1}, "min_spread"),
        ({"spreads": {"lidar": 0.0}}, "spread 'lidar'"),
        ({"warmup_frames": 0}, "warmup_frames"),
        ({"hold_s": -1.0}, "hold_s"),
        ({"clear_s": -1.0}, "clear_s"),
        ({"silent_after_s": 0.0}, "silent_after_s"),
        ({"ema_alpha": 0.0}, "ema_alpha"),
        ({"recovery": 1.5}, "recovery"),
        ({"baselines": {"lidar": 1.2}}, "baseline 'lidar'"),
    ],
)
def test_invalid_configuration_says_what_is_wrong(overrides, problem):
    with pytest.raises(ValueError, match=problem):
        AlarmConfig(**overrides)


def test_unknown_modalities_are_rejected():
    with pytest.raises(ValueError, match="unknown modalities"):
        AlarmMonitor(MODALITIES, AlarmConfig(baselines={"sonar": 0.1}))
    with pytest.raises(ValueError, match="unknown modalities"):
        make_monitor().update(0.0, {"sonar": 0.1}, FRESH)


def test_a_sensor_toggling_faster_than_clear_s_stays_in_error():
    """1.5 s on / 1.5 s off at 10 Hz: the quiet start of each silence is no evidence of flow."""
    monitor = make_monitor(silent_after_s=1.0, clear_s=2.0)
    events, last_arrival = [], None
    for i in range(round(21.0 / DT)):
        stamp = round(i * DT, 9)
        if (stamp // 1.5) % 2 == 0:
            last_arrival = stamp
        ages = FRESH | {"lidar": None if last_arrival is None else round(stamp - last_arrival, 9)}
        events += [e for e in monitor.update(stamp, BASELINES, ages) if e.sensor == "lidar"]
    assert [e.new for e in events] == [Level.ERROR], events
    assert monitor.status()["lidar"].level == Level.ERROR


def test_each_recovery_step_is_one_level_and_needs_its_own_clear_s():
    monitor = make_monitor()
    run(monitor, 0.0, 2.0, constant(0.0))  # ERROR at 1.0
    events = run(monitor, 2.0, 8.0, constant(0.5))  # straight back to the baseline
    assert [(e.stamp, e.old, e.new) for e in events] == [
        (4.0, Level.ERROR, Level.WARN), (6.0, Level.WARN, Level.OK)]


def test_status_after_a_silence_clears_describes_the_present_not_an_old_share_change():
    monitor = make_monitor(silent_after_s=1.0)
    run(monitor, 0.0, 2.0, constant(0.2))  # WARN at 1.0 ...
    run(monitor, 2.0, 6.0, constant(0.5))  # ... cleared at 4.0: "... back for 2.00 s"
    run(monitor, 6.0, 7.0, constant(0.5), ages=FRESH | {"lidar": 1.5})
    run(monitor, 7.0, 12.0, constant(0.5))
    status = monitor.status()["lidar"]
    assert status.level == Level.OK
    assert status.reason == "share 0.5, z +0.0 (normal 0.5 ± 0.05)", status.reason


def test_a_silence_reason_agrees_with_the_age_it_reports():
    monitor = make_monitor(silent_after_s=1.0)
    run(monitor, 0.0, 1.0, constant(0.5))
    run(monitor, 1.0, 2.0, constant(0.5), ages=FRESH | {"lidar": 1.2})
    monitor.update(2.0, BASELINES, FRESH | {"lidar": 0.25})
    status = monitor.status()["lidar"]
    assert status.level == Level.ERROR and status.age == 0.25
    assert "no message" not in status.reason and "messages again" in status.reason


def test_an_input_fault_raises_its_level_with_its_reason_and_clears_step_by_step():
    monitor = make_monitor()
    run(monitor, 0.0, 1.0, constant(0.5))
    fault = {"lidar": InputFault(Level.ERROR, "stamps 600 s ahead of the others")}
    (event,) = monitor.update(1.0, BASELINES, FRESH, fault)
    assert (event.new, event.reason) == (Level.ERROR, "stamps 600 s ahead of the others")
    events = run(monitor, 1.1, 6.0, constant(0.5))
    assert [e.new for e in events] == [Level.WARN, Level.OK]
    warn = {"camera": InputFault(Level.WARN, "camera/front: stamp not advancing")}
    (event,) = monitor.update(6.0, BASELINES, FRESH, warn)
    assert (event.sensor, event.new) == ("camera", Level.WARN)
