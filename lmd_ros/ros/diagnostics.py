"""`/diagnostics` in the diagnostic_updater conventions, from the monitor core's state.

One status per modality (``lmd_monitor: <modality> contribution``, hardware_id = the sensor),
one for the pipeline (synchronisation rate, rejected messages, skipped sets, latency, the last
frame's single-sensor detections) and one for the inputs (calibration sources, missing fields,
out-of-range values, a silent sensor among several of its kind).
"""

from __future__ import annotations

from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from std_msgs.msg import Header

from lmd_ros.monitor.alarms import Level, SensorStatus
from lmd_ros.monitor.core import MonitorCore, source_topics
from lmd_ros.ros.conversions import stamp_to_seconds

NODE = "lmd_monitor"


def _value(value: float | int | str | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _sensor_status(
    modality: str, status: SensorStatus, topics: list[str]
) -> DiagnosticStatus:
    band = status.band
    values = {
        "share": status.share,
        "baseline": status.baseline,
        "share_z": status.share_z,
        "warn_below": None if band is None else band.warn_below,
        "warn_above": None if band is None else band.warn_above,
        "error_below": None if band is None else band.error_below,
        "topics": ", ".join(topics),
        "last_message_age_s": status.age,
    }
    return DiagnosticStatus(
        level=bytes([int(status.level)]),
        name=f"{NODE}: {modality} contribution",
        message=status.reason or Level(status.level).name,
        hardware_id=modality,
        values=[KeyValue(key=k, value=_value(v)) for k, v in values.items()],
    )


def diagnostics_message(
    core: MonitorCore, stamp: Time, sets_per_second: float | None,
    extra: dict[str, float | int | str | None] | None = None,
) -> DiagnosticArray:
    """Every status; ``extra`` adds values to the pipeline status (e.g. analysis restarts)."""
    topic_of = source_topics(core.settings)
    statuses = [
        _sensor_status(m, s, [topic_of[source] for source in core.sources_of(m)])
        for m, s in core.alarms.status().items()
    ]
    dropped = {
        f"sync_dropped[{source}]": sum(counter.values())
        for source, counter in core.synchronizer.dropped.items()
    }
    rejected = {f"rejected[{src}: {why}]": n for (src, why), n in sorted(core.rejected.items())}
    pipeline = {
        "sync_rate_hz": sets_per_second,
        "frames_processed": core.processed,
        "sets_skipped_busy": core.skipped_sets,
        "latency_s": core.latency_s,
        "single_sensor_detections": core.single_sensor_detections,
        "device": str(core.attributor.device),
        "model": core.attributor.adapter.describe(),
        "detections_dropped_non_finite": core.dropped_detections,
        "frames_with_decomposition_warnings": core.frames_with_decomposition_warnings,
        "last_decomposition_warning": core.last_decomposition_warning,
        **(extra or {}),
        **dropped,
        **rejected,
    }
    level, message = core.pipeline_health(stamp_to_seconds(stamp))
    statuses.append(DiagnosticStatus(
        level=bytes([int(level)]),
        name=f"{NODE}: pipeline",
        message=message,
        hardware_id=NODE,
        values=[KeyValue(key=k, value=_value(v)) for k, v in pipeline.items()],
    ))
    statuses.append(_inputs_status(core, stamp_to_seconds(stamp)))
    return DiagnosticArray(header=Header(stamp=stamp), status=statuses)


def _inputs_status(core: MonitorCore, now_s: float) -> DiagnosticStatus:
    """Where each sensor's calibration came from, and what its data lacks: WARN with every
    finding (a missing field, values outside the model's range, a sensor silent while others of
    its kind go on, a sensor without calibration)."""
    findings = {f"{source}: {field}": note for (source, field), note in core.inputs.notes.items()}
    silent_after, ages = core.settings.silent_after_s, core.ages(now_s)
    running = now_s - core.started if core.started is not None else 0.0
    for source, age in core.synchronizer.staleness(now_s).items():
        if (age is None and running > silent_after) or (age is not None and age > silent_after):
            siblings_alive = [m for m in core.modalities_of(source)
                              if ages[m] is not None and ages[m] <= silent_after]
            if siblings_alive:
                findings[f"{source}: silent"] = (
                    "no message yet" if age is None else f"no message for {age:.1f} s"
                ) + f" ({', '.join(siblings_alive)} carried on by its other sensors)"
    calibration = dict(core.rig_sources.origin)
    findings |= {f"{s}: calibration": why for s, why in calibration.items()
                 if why.startswith("no ")}
    if core.rig_problem:
        findings["rig"] = core.rig_problem
    level = Level.WARN if findings else Level.OK
    values = {**{f"calibration[{s}]": why for s, why in calibration.items()}, **findings}
    return DiagnosticStatus(
        level=bytes([int(level)]),
        name=f"{NODE}: inputs",
        message="; ".join(findings) if findings else "inputs as the model expects",
        hardware_id=NODE,
        values=[KeyValue(key=k, value=_value(v)) for k, v in values.items()],
    )
