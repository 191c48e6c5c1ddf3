"""`/diagnostics` in the diagnostic_updater conventions, from the monitor core's state.

One status per modality (``lmd_monitor: <modality> contribution``, hardware_id = the sensor)
plus one for the pipeline (synchronisation rate, rejected messages, skipped sets, latency).
"""

from __future__ import annotations

from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from std_msgs.msg import Header

from lmd_ros.monitor.alarms import Level, SensorStatus
from lmd_ros.monitor.core import MonitorCore
from lmd_ros.ros.conversions import stamp_to_seconds

NODE = "lmd_monitor"


def _value(value: float | int | str | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _sensor_status(
    modality: str, status: SensorStatus, topics: list[str]
) -> DiagnosticStatus:
    thresholds = status.thresholds
    values = {
        "share": status.share,
        "baseline": status.baseline,
        "warn_below": None if thresholds is None else thresholds.warn,
        "error_below": None if thresholds is None else thresholds.error,
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
    settings = core.settings
    topics = {
        "camera": list(settings.camera_topics),
        "radar": [settings.radar_topic],
        "lidar": [settings.lidar_topic],
    }
    statuses = [
        _sensor_status(m, s, topics[m]) for m, s in core.alarms.status().items()
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
        "device": str(core.attributor.device),
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
    return DiagnosticArray(header=Header(stamp=stamp), status=statuses)
