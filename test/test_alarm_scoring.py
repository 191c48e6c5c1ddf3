"""Alarm scoring on hand-made timelines: detection, delay, wrong-sensor and false alarms, the
warm-up, fog's two sensors; and the baselines' hold and clear."""

from __future__ import annotations

import pytest

from lmd_ros.benchmarks.alarm_scoring import (
    GRACE_S,
    clean_interval,
    fault_sensors,
    min_warmup_s,
    perception_impact,
    score_drive,
    score_fault,
    summarise,
)
from lmd_ros.benchmarks.baselines import held_spans
from lmd_ros.benchmarks.drive_trace import FrameTrace
from lmd_ros.monitor.alarms import AlarmSpan, Level
from lmd_ros.world import Fault

HOLD_S = 1.0
WARMUP_S = 3.0


def span(onset: float, sensor: str, clear: float | None = None,
         level: Level = Level.WARN) -> AlarmSpan:
    return AlarmSpan(onset, clear, sensor, level, "test")


def test_fault_sensors_follow_the_kind_and_fog_degrades_camera_and_lidar():
    assert fault_sensors("camera_blur") == ("camera",)
    assert fault_sensors("lidar_silent") == ("lidar",)
    assert fault_sensors("radar_ghosts") == ("radar",)
    assert fault_sensors("fog") == ("camera", "lidar")


def test_the_first_alarm_on_the_faulted_sensor_detects_it_with_its_delay():
    fault = Fault("camera_blackout", 8.0, 14.0)
    score = score_fault([span(9.5, "camera"), span(10.0, "camera", level=Level.ERROR)],
                        fault, HOLD_S)
    assert score.delays == {"camera": pytest.approx(1.5)}
    assert score.delay == pytest.approx(1.5)
    assert score.wrong_sensor == 0


def test_an_alarm_raised_before_the_fault_does_not_detect_it():
    fault = Fault("lidar_dropout", 8.0, 14.0, 0.5)
    already_open = span(6.0, "lidar", clear=None, level=Level.ERROR)
    assert score_fault([already_open], fault, HOLD_S).delay is None
    drive = score_drive([already_open], "day", fault, 20.0, WARMUP_S, HOLD_S)
    assert drive.false_alarms == 1  # it is a false alarm in the clean driving before the fault
    assert drive.clean_s == pytest.approx(5.0)


def test_the_grace_period_ends_hold_plus_a_second_after_the_fault():
    fault = Fault("radar_silent", 8.0, 14.0)
    last = 14.0 + HOLD_S + GRACE_S
    assert score_fault([span(last, "radar")], fault, HOLD_S).delay == pytest.approx(last - 8.0)
    assert score_fault([span(last + 0.05, "radar")], fault, HOLD_S).delay is None


def test_alarms_on_other_sensors_during_the_fault_are_wrong_sensor_alarms():
    fault = Fault("camera_glare", 8.0, 14.0)
    timeline = [span(7.0, "radar"), span(9.0, "radar"), span(13.9, "lidar"),
                span(14.0, "lidar"), span(10.0, "camera")]
    score = score_fault(timeline, fault, HOLD_S)
    assert score.wrong_sensor == 2  # not the one before, nor the one at the end
    assert score.delay == pytest.approx(2.0)


def test_fog_is_detected_by_either_sensor_and_both_are_reported():
    fault = Fault("fog", 8.0, 14.0, 1.0)
    lidar_only = score_fault([span(9.0, "lidar"), span(9.0, "radar")], fault, HOLD_S)
    assert lidar_only.delays == {"camera": None, "lidar": pytest.approx(1.0)}
    assert lidar_only.delay == pytest.approx(1.0)
    assert lidar_only.wrong_sensor == 1
    both = score_fault([span(10.0, "camera"), span(9.5, "lidar")], fault, HOLD_S)
    assert both.delay == pytest.approx(1.5)
    group = summarise([score_drive(t, "day", fault, 20.0, WARMUP_S, HOLD_S)
                       for t in ([span(9.0, "lidar")], [span(10.0, "camera"), span(9.5, "lidar")],
                                 [])]).faults["fog", 1.0]
    assert (group.faults, group.detected, group.by_sensor) == (3, 2, {"camera": 1, "lidar": 2})


def test_false_alarms_count_clean_driving_after_the_warmup_only():
    assert min_warmup_s(20, 10.0) == pytest.approx(3.0)
    timeline = [span(1.0, "camera", clear=2.5), span(5.0, "radar", clear=6.0),
                span(12.0, "lidar", level=Level.ERROR)]
    clean = score_drive(timeline, "night", None, 20.0, WARMUP_S, HOLD_S)
    assert clean.score is None
    assert (clean.false_alarms, clean.clean_s) == (2, pytest.approx(17.0))
    faulted = score_drive(timeline, "day", Fault("camera_frozen", 8.0, 14.0), 20.0, WARMUP_S,
                          HOLD_S)
    assert (faulted.false_alarms, faulted.clean_s) == (1, pytest.approx(5.0))
    assert clean_interval(20.0, WARMUP_S, Fault("camera_frozen", 2.0, 8.0)) == (WARMUP_S, 2.0)
    early = score_drive(timeline, "day", Fault("camera_frozen", 2.0, 8.0), 20.0, WARMUP_S,
                        HOLD_S)
    assert (early.false_alarms, early.clean_s) == (0, 0.0)

    summary = summarise([clean, faulted, early])
    assert summary.false_alarms == 3
    assert summary.clean_h == pytest.approx(22.0 / 3600)
    assert summary.false_alarms_per_h == pytest.approx(3 / (22.0 / 3600))
    assert summary.by_condition == {"day": (1, pytest.approx(5.0 / 3600)),
                                    "night": (2, pytest.approx(17.0 / 3600))}


def test_summary_groups_degrading_faults_of_enough_severity_and_silent_faults_apart():
    drives = [score_drive(timeline, "day", fault, 20.0, WARMUP_S, HOLD_S) for timeline, fault in (
        ([span(9.0, "camera")], Fault("camera_blur", 8.0, 14.0, 1.0)),
        ([], Fault("camera_blur", 8.0, 14.0, 0.5)),
        ([], Fault("lidar_noise", 8.0, 14.0, 0.25)),
        ([span(9.2, "lidar", level=Level.ERROR)], Fault("lidar_silent", 8.0, 14.0)),
    )]
    summary = summarise(drives)
    assert (summary.degrading.faults, summary.degrading.detected) == (2, 1)
    assert summary.degrading.rate == pytest.approx(0.5)
    assert summary.degrading.delay_p50 == pytest.approx(1.0)
    assert (summary.silent.faults, summary.silent.detected) == (1, 1)
    assert summary.silent.delay_p95 == pytest.approx(1.2)
    assert set(summary.faults) == {("camera_blur", 0.5), ("camera_blur", 1.0),
                                   ("lidar_noise", 0.25), ("lidar_silent", 1.0)}
    assert summary.faults["lidar_noise", 0.25].rate == 0.0


def test_no_clean_time_gives_no_false_alarm_rate():
    drive = score_drive([], "day", Fault("camera_frozen", 2.0, 8.0), 20.0, WARMUP_S, HOLD_S)
    assert summarise([drive]).false_alarms_per_h is None


def test_perception_impact_compares_clean_driving_before_with_the_fault():
    def frame(stamp, detections, camera):
        return FrameTrace(stamp, stamp, detections,
                          None if camera is None else {"camera": camera, "lidar": 1 - camera})

    frames = [frame(1.0, 12, 0.9), frame(4.0, 10, 0.5), frame(5.0, 10, 0.3), frame(8.0, 4, 0.1),
              frame(9.0, 0, None), frame(15.0, 10, 0.5)]
    impact = perception_impact(frames, Fault("fog", 8.0, 14.0), WARMUP_S)
    assert impact.share_before == {"camera": pytest.approx(0.4), "lidar": pytest.approx(0.6)}
    assert impact.share_during == {"camera": pytest.approx(0.1), "lidar": pytest.approx(0.9)}
    assert (impact.detections_before, impact.detections_during) == (10.0, 2.0)


def test_held_spans_raise_after_the_hold_and_clear_after_the_clear_time():
    times = [round(0.1 * i, 1) for i in range(80)]
    raw = [Level.OK] * 80
    raw[5:14] = [Level.WARN] * 9  # 0.9 s: too short to raise
    raw[20:40] = [Level.WARN] * 5 + [Level.ERROR] * 15
    raw[45:47] = [Level.WARN] * 2  # a blip inside the clear time starts it again
    spans = held_spans(times, raw, "lidar", HOLD_S, 2.0, lambda i: f"sample {i}")
    assert spans == [AlarmSpan(3.0, 6.7, "lidar", Level.ERROR, "sample 30")]
    raw[45:47] = [Level.OK] * 2
    spans = held_spans(times, raw, "lidar", HOLD_S, 2.0, lambda i: f"sample {i}")
    assert spans == [AlarmSpan(3.0, 6.0, "lidar", Level.ERROR, "sample 30")]
