"""One bag through the monitor: settings, replay, then every output file in one folder.

Outputs: ``detections.parquet``, ``frames.parquet``, ``alarms.parquet`` (see `tables`),
``report.html``, ``summary.json`` and ``annotated/`` (an mcap bag of the monitor's topics).
Calibration: ``--calibration`` if given, else ``calibration.yaml`` inside the bag directory
(as `lmd_make_bag` writes it), else the config's ``calibration_file``.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lmd_ros.bag.annotated import AnnotatedBag
from lmd_ros.bag.make_bag import CALIBRATION
from lmd_ros.bag.reader import SensorBag
from lmd_ros.bag.replay import Replay
from lmd_ros.bag.report import write_report
from lmd_ros.bag.snapshots import AlarmSnapshots
from lmd_ros.bag.tables import FrameTables
from lmd_ros.monitor.assembly import build_core
from lmd_ros.monitor.core import MonitorCore
from lmd_ros.monitor.settings import MonitorSettings
from lmd_ros.ros.inputs import input_streams

ANNOTATED, REPORT, SUMMARY = "annotated", "report.html", "summary.json"
PROGRESS_PERIOD_S = 0.5


@dataclass(frozen=True)
class AnalysisOptions:
    """What the command line can change on top of the monitor's config file."""

    config: Path | None = None
    calibration: Path | None = None
    model: str | None = None
    checkpoint: Path | None = None
    model_options: str | None = None
    distro: str = "kilted"
    progress: bool = False
    threads: int = 1
    """Torch threads. LMD is bound by per-op dispatch, not by arithmetic: on two shared cores
    two threads ran 5-8x slower than one. Parallelism comes from analysing bags side by side."""


def bag_settings(bag: Path, options: AnalysisOptions) -> MonitorSettings:
    """The node's settings for this bag (see the module docstring for the calibration)."""
    settings = MonitorSettings.from_yaml(options.config) if options.config else MonitorSettings()
    inside = bag / CALIBRATION
    calibration = options.calibration or (inside if inside.is_file() else None)
    overrides: dict[str, Any] = {"torch_threads": options.threads}
    if calibration:
        overrides["calibration_file"] = str(calibration)
    if options.model is not None:
        overrides["model"] = options.model
    if options.checkpoint:
        overrides["checkpoint"] = str(options.checkpoint)
    if options.model_options is not None:
        overrides["model_options"] = options.model_options
    return replace(settings, **overrides)


def analyse_bag(bag: Path, out: Path, options: AnalysisOptions) -> dict[str, Any]:
    """Analyse ``bag`` into ``out`` (created; earlier results there are replaced).

    Returns the summary also written to ``summary.json``. Raises `BagUnreadable` when nothing in
    the bag can be read, InvalidSetting / ValueError for a configuration the node would refuse.
    """
    settings = bag_settings(bag, options)
    core, rig = build_core(settings)
    out.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(out / ANNOTATED, ignore_errors=True)
    class_names = core.class_names
    tables = FrameTables(core.modalities, class_names)
    snapshots = AlarmSnapshots(rig, core.attributor.adapter.bev_grid, class_names)
    started = time.monotonic()
    with SensorBag(bag, input_streams(settings)) as source, \
            AnnotatedBag(out / ANNOTATED, core, rig, options.distro) as annotated:
        replay = Replay(core, [tables, annotated, snapshots])
        shown = started
        for message in source.messages():
            replay.feed(message)
            if options.progress and time.monotonic() - shown > PROGRESS_PERIOD_S:
                shown = time.monotonic()
                _progress(bag, message.time_ns, source, core, shown - started)
    elapsed = time.monotonic() - started
    if options.progress:
        _progress(bag, source.end_ns, source, core, elapsed, end="\n")
    t0, t1 = source.start_ns * 1e-9, source.end_ns * 1e-9
    timeline = core.alarms.timeline()
    tables.write(out, timeline)
    issues = source.issues + pipeline_issues(core)
    summary = {
        "bag": str(bag),
        "frames": core.processed,
        "detections": tables.detections().num_rows,
        "alarms": len(timeline),
        "duration_s": round(t1 - t0, 3),
        "start_s": t0,
        "messages_read": dict(source.read),
        "ignored_topics": source.ignored_topics,
        "model": core.attributor.adapter.describe(),
        "checkpoint": settings.checkpoint or "the model's default",
        "calibration": settings.calibration_file or "shipped default rig",
        "wall_s": round(elapsed, 2),
        "frames_per_s": round(core.processed / elapsed, 2) if elapsed > 0 else None,
        "issues": issues,
    }
    write_report(out / REPORT, {k: v for k, v in summary.items() if k != "issues"}, issues,
                 tables.detections(), tables.frames(), timeline, snapshots.snapshots,
                 snapshots.omitted, core.modalities, t0, t1)
    (out / SUMMARY).write_text(json.dumps(summary, indent=2))
    return summary


def pipeline_issues(core: MonitorCore) -> list[str]:
    """What the monitor itself refused or dropped, in the words of its /diagnostics counters."""
    issues = [f"{source}: {count} messages rejected ({reason})"
              for (source, reason), count in sorted(core.rejected.items())]
    for source, reasons in core.synchronizer.dropped.items():
        issues += [f"{source}: {count} messages dropped by the synchroniser ({reason})"
                   for reason, count in sorted(reasons.items())]
    if core.synchronizer.resets:
        issues.append(f"stamps jumped back {core.synchronizer.resets} times (a source "
                      "restarted): its queue was reset")
    return issues


def _progress(bag: Path, time_ns: int, source: SensorBag, core: MonitorCore, elapsed: float,
              end: str = "") -> None:
    done = (time_ns - source.start_ns) * 1e-9
    total = (source.end_ns - source.start_ns) * 1e-9
    rate = core.processed / elapsed if elapsed > 0 else 0.0
    print(f"\r{bag.name}: {done:6.1f}/{total:.1f} s of bag, {core.processed} frames, "
          f"{rate:.1f} frames/s", end=end, file=sys.stderr, flush=True)
