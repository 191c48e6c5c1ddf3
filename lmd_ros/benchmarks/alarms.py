"""`lmd_benchmark alarms`: how good the product's sensor alarms are, beside two ROS baselines.

A fault campaign over synthetic drives (`campaign`): every fault kind at each severity and
clean drives, spread over the world's conditions. Each drive runs once through the product's
monitor with the shipped model and the default settings (`drive_trace`); the baselines a ROS
integrator would otherwise deploy, topic health and input statistics (`baselines`), are computed
from the same trace, fitted and tuned on the clean tune drives. Every method is scored alike on
the eval drives (`alarm_scoring`): detection and delay per fault, wrong-sensor alarms, false
alarms per hour of clean driving. Prints Markdown tables, then one line ``lmd: detection = X%,
false alarms = Y/h; topic health: ...; input statistics: ...`` (degrading faults of severity
>= 0.5), and writes them with a plot of detection against false alarms to --docs.

The default campaign (about 40-50 drives of 20 s) takes about 20 min with 2 workers on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

import torch

from lmd_ros.benchmarks.alarm_methods import (
    MethodResult,
    Timing,
    evaluate_method,
    lmd_spreads,
    methods,
)
from lmd_ros.benchmarks.alarm_report import (
    dependency_section,
    headline,
    impacts_by_fault,
    minutes,
    plot_path,
    tables,
    write_docs,
)
from lmd_ros.benchmarks.alarm_scoring import GRACE_S, min_warmup_s, perception_impact
from lmd_ros.benchmarks.baselines import QUANTILES, WINDOW_S
from lmd_ros.benchmarks.campaign import (
    CLEAN_DRIVES,
    CONDITIONS,
    FAULT_FRACTION,
    MIN_FAULT_S,
    ONSET_FRACTION,
    SEVERITIES,
    DriveSpec,
    campaign,
)
from lmd_ros.benchmarks.drive_runs import run_drives
from lmd_ros.benchmarks.drive_trace import DriveTrace
from lmd_ros.evaluation.dependency import DependencyAgreement, dependency_agreement
from lmd_ros.evaluation.samples import evaluation_frames
from lmd_ros.monitor.alarm_calibration import write_spreads
from lmd_ros.monitor.assembly import build_core
from lmd_ros.monitor.core import alarm_config
from lmd_ros.monitor.settings import InvalidSetting, MonitorSettings
from lmd_ros.world import FAULT_KINDS

PROG = "lmd_benchmark alarms"


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drives", type=int, default=1, metavar="N",
                        help="multiplier: N times every faulted and clean drive, on fresh seeds")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each drive")
    parser.add_argument("--kinds", type=_names, default=list(FAULT_KINDS), metavar="K1,K2",
                        help="fault kinds (default: all of lmd_ros.world.FAULT_KINDS)")
    parser.add_argument("--severities", type=_names, metavar="S1,S2",
                        default=[f"{s:g}" for s in SEVERITIES],
                        help="severities of the kinds that have one (frozen, silent: once)")
    parser.add_argument("--clean", type=int, default=CLEAN_DRIVES, metavar="N",
                        help="clean drives per split (tune, eval), times --drives")
    parser.add_argument("--conditions", type=_names, default=list(CONDITIONS),
                        metavar="C1,C2", help="conditions the drives go round (default: all)")
    parser.add_argument("--warmup", type=float, metavar="S",
                        help="seconds at the start of each drive left unscored (default and "
                        "minimum: the product's baseline warm-up + 1 s)")
    parser.add_argument("--config", type=Path,
                        help="monitor parameter file (default: the default settings)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="worker processes (default: one per core)")
    parser.add_argument("--ray", metavar="ADDRESS",
                        help="run drives as tasks on the Ray cluster at ADDRESS ('local': "
                        "start one here with --workers CPUs)")
    parser.add_argument("--cache", type=Path, metavar="DIR",
                        help="keep each drive's trace here and reuse it on the next run")
    parser.add_argument("--dependency-frames", type=int, default=100, metavar="N",
                        help="held-out frames on which dep_<modality> is checked against "
                        "re-running the model without the sensor (0: skip)")
    parser.add_argument("--spreads", type=Path, metavar="FILE",
                        help="also write the normal spreads fitted on the tune drives here "
                        "(an alarm_calibration file)")
    parser.add_argument("--docs", type=Path, default=Path("docs/alarms.md"),
                        help="Markdown report to write; its plot goes beside it")
    return parser


def _specs(args: argparse.Namespace) -> list[DriveSpec]:
    unknown = [k for k in args.kinds if k not in FAULT_KINDS]
    checks = [
        ("--drives", args.drives >= 1, "must be >= 1", args.drives),
        ("--seconds", args.seconds > 0, "must be > 0", args.seconds),
        ("--clean", args.clean >= 1, "must be >= 1: the baselines learn on clean drives",
         args.clean),
        ("--workers", args.workers >= 1, "must be >= 1", args.workers),
        ("--kinds", not unknown, f"unknown {unknown}; valid: {', '.join(FAULT_KINDS)}",
         ",".join(args.kinds)),
        ("--conditions", bool(args.conditions) and set(args.conditions) <= set(CONDITIONS),
         f"valid: {', '.join(CONDITIONS)}", ",".join(args.conditions)),
    ]
    for name, ok, reason, value in checks:
        if not ok:
            raise InvalidSetting(name, reason, value)
    try:
        severities = [float(s) for s in args.severities]
    except ValueError:
        severities = []
    if not severities or not all(0 < s <= 1 for s in severities):
        raise InvalidSetting("--severities", "need numbers in (0, 1]", ",".join(args.severities))
    return campaign(args.drives, args.seconds, args.kinds, severities, args.clean,
                    args.conditions)


def _warmup(args: argparse.Namespace, settings: MonitorSettings, rate_hz: float) -> float:
    least = min_warmup_s(settings.warmup_frames, rate_hz)
    if args.warmup is None:
        return least
    if args.warmup < least:
        raise InvalidSetting("--warmup", f"must be at least the product's baseline warm-up "
                             f"({settings.warmup_frames} frames at {rate_hz:g} Hz) + 1 s = "
                             f"{least:g} s", args.warmup)
    return args.warmup


def _seeds(traces: Sequence[DriveTrace], split: str) -> str:
    seeds = sorted(t.spec.seed for t in traces if t.spec.split == split)
    return f"{seeds[0]}–{seeds[-1]}" if seeds else "none"


def _about(command: str, args: argparse.Namespace, traces: Sequence[DriveTrace],
           results: Sequence[MethodResult], timing: Timing, wall_min: float) -> list[str]:
    """How the numbers were made, for the docs."""
    evaluate = [t for t in traces if t.spec.split == "eval"]
    faulted = sum(t.spec.fault is not None for t in evaluate)
    frames = sum(len(t.frames) for t in traces)
    where = f"the Ray cluster at {args.ray}" if args.ray else f"{args.workers} worker process(es)"
    wall = [t.wall_s for t in traces]
    first = traces[0].spec.world()
    settings = f"the settings of {args.config}" if args.config else "the default settings"
    thresholds = ", ".join(f"{r.method.name} {r.method.parameter} = {r.method.operating:g}"
                           for r in results if r.method.operating is not None)
    return [
        f"Made by `{command}` on {os.cpu_count()} CPU cores ({platform.machine()}), {where}, "
        f"torch {torch.__version__} with 1 thread per drive: {sum(wall) / 60:.1f} min of drives "
        f"(this run {wall_min:.1f} min; drives from the cache ran before); "
        f"{sum(wall) / len(wall):.1f} s per drive of {args.seconds:g} s "
        f"({sum(wall) / max(frames, 1):.2f} s per analysed frame, rendering included).",
        "",
        f"**Campaign.** {len(traces) - len(evaluate)} clean *tune* drives (seeds "
        f"{_seeds(traces, 'tune')}) and {len(evaluate)} *eval* drives (seeds "
        f"{_seeds(traces, 'eval')}): {faulted} with one fault, {len(evaluate) - faulted} "
        f"clean; each {args.seconds:g} s at {first.rate_hz:g} Hz, {frames} frames analysed in "
        f"all. Faults: {', '.join(args.kinds)}, at severities {', '.join(args.severities)} "
        f"(frozen and silent faults once); conditions: {', '.join(args.conditions)}, taken in "
        f"turn. A fault starts at a seeded random {ONSET_FRACTION[0]:.0%}–"
        f"{ONSET_FRACTION[1]:.0%} of its drive and lasts {FAULT_FRACTION:.0%} of it (at least "
        f"{MIN_FAULT_S:g} s).",
        "",
        f"**Methods.** *lmd*: the product's alarms (`MonitorCore` with the shipped model and "
        f"{settings}: hold {timing.hold_s:g} s, clear {timing.clear_s:g} s). *topic "
        f"health*: per topic, like diagnostic_updater's frequency and time-stamp checks: WARN "
        f"while the rate over {WINDOW_S:g} s leaves its clean [min, max] by more than the "
        f"tolerance, ERROR while the last message is older than its clean maximum age by more "
        f"than the tolerance. *input statistics*: per topic, image brightness, contrast, "
        f"sharpness and frame-to-frame change, cloud point count, ranges and heights; WARN "
        f"while a feature leaves [q{QUANTILES[0]:.0%} − k·IQR, q{QUANTILES[1]:.0%} + k·IQR] of "
        f"clean driving. Both baselines hold and clear like the product, are fitted on the tune "
        f"drives and run at the tightest threshold of their sweep without a false alarm there "
        f"({thresholds}).",
        "",
        f"**Scoring.** A fault is detected when a sensor it degrades (fog: the camera or the "
        f"LiDAR) raises WARN or ERROR from its start to {timing.hold_s + GRACE_S:g} s after its "
        f"end (the hold + {GRACE_S:g} s); an alarm raised before the start does not count. "
        f"Delay: from the start to the alarm. Wrong-sensor alarms: onsets on "
        f"other sensors during the fault. False alarms: onsets on any sensor in clean driving, "
        f"after the first {timing.warmup:g} s of each eval drive (the product's warm-up), up "
        f"to the fault's start; {minutes(results[0].summary.clean_h)} min in all.",
    ]


def _dependency(settings: MonitorSettings, frames: int) -> DependencyAgreement:
    """The dependency check of the configured model on ``frames`` held-out frames."""
    core = build_core(settings)
    held_out = evaluation_frames(frames, seed=0, rig=core.rig)
    return dependency_agreement(core.attributor.adapter, held_out, core.rig,
                                settings.score_threshold)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    try:
        settings = MonitorSettings.from_yaml(args.config) if args.config else MonitorSettings()
        settings = replace(settings, torch_threads=1)
        specs = _specs(args)
        warmup = _warmup(args, settings, specs[0].world().rate_hz)
    except (InvalidSetting, ValueError) as error:
        print(f"{PROG}: invalid configuration: {error}", file=sys.stderr)
        return 2
    started = time.monotonic()
    traces = run_drives(specs, settings, args.workers, args.ray, args.cache,
                        report=partial(print, file=sys.stderr, flush=True))
    timing = Timing(warmup, settings.hold_s, settings.clear_s)
    tune = [t for t in traces if t.spec.split == "tune"]
    evaluate = [t for t in traces if t.spec.split == "eval"]
    configured = alarm_config(settings, tune[0].modalities, {})
    spreads = lmd_spreads(tune, configured)
    if args.spreads:
        write_spreads(args.spreads, spreads, f"lmd_benchmark alarms {shlex.join(argv)}: "
                      f"{len(tune)} clean tune drives, seeds {_seeds(traces, 'tune')}")
    results = [evaluate_method(m, evaluate, timing)
               for m in methods(tune, timing, replace(configured, spreads=spreads))]
    impacts = impacts_by_fault([((t.spec.fault.kind, t.spec.fault.severity),
                                 perception_impact(t.frames, t.spec.fault, warmup))
                                for t in evaluate if t.spec.fault is not None])
    print("\n".join(tables(results, impacts)))
    print()
    print(headline(results))
    command = shlex.join(["lmd_benchmark", "alarms", *argv])
    extra = [] if args.dependency_frames <= 0 else dependency_section(
        _dependency(settings, args.dependency_frames), command)
    write_docs(args.docs, _about(command, args, traces, results, timing,
                                 (time.monotonic() - started) / 60), results, impacts, extra)
    print(f"wrote {args.docs} and {plot_path(args.docs)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
