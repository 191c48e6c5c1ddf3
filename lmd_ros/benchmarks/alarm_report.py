"""The alarm benchmark's Markdown tables, its one-line verdict, and docs/alarms.md with its plot.

The plot (``<docs stem>_roc.png`` beside the Markdown) shows each method's detection rate
against its false alarms per hour along its threshold sweep, the operating point marked; one
panel for the degrading faults, one for the silent ones.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from lmd_ros.benchmarks.alarm_methods import MethodResult
from lmd_ros.benchmarks.alarm_scoring import (
    DEGRADING_MIN_SEVERITY,
    GroupScore,
    Impact,
    Summary,
    per_hour,
)
from lmd_ros.evaluation.dependency import DependencyAgreement
from lmd_ros.evaluation.report import markdown_table

FaultKey = tuple[str, float]


def percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{100 * rate:.0f}%"


def rate_per_h(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.1f}"


def seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def number(value: float | None, fmt: str) -> str:
    return "n/a" if value is None else f"{value:{fmt}}"


def minutes(hours: float) -> str:
    return f"{hours * 60:.3g}"


def detected(group: GroupScore) -> str:
    """``k/n``; for a fault on two sensors also how often each alarmed."""
    text = f"{group.detected}/{group.faults}"
    if len(group.by_sensor) > 1:
        text += " (" + ", ".join(f"{s} {n}" for s, n in group.by_sensor.items()) + ")"
    return text


def delays(group: GroupScore) -> str:
    return f"{seconds(group.delay_p50)} / {seconds(group.delay_p95)}"


def fault_table(results: Sequence[MethodResult]) -> list[str]:
    """Per fault kind × severity and method: detected, delay p50 / p95, wrong-sensor alarms."""
    keys = list(results[0].summary.faults)
    header = ["fault", "severity", "drives"]
    for result in results:
        name = result.method.name
        header += [f"{name}: detected", f"{name}: delay p50 / p95 (s)", f"{name}: wrong sensor"]
    rows = []
    for kind, severity in keys:
        row = [kind, f"{severity:g}", str(results[0].summary.faults[kind, severity].faults)]
        for result in results:
            group = result.summary.faults[kind, severity]
            row += [detected(group), delays(group), str(group.wrong_sensor)]
        rows.append(row)
    return markdown_table(header, rows)


def operating(result: MethodResult) -> str:
    threshold = result.method.operating
    return "as configured" if threshold is None else f"{result.method.parameter} = {threshold:g}"


def overall_table(results: Sequence[MethodResult]) -> list[str]:
    rows = []
    for result in results:
        s = result.summary
        rows.append([result.method.name, operating(result), percent(s.degrading.rate),
                     detected(s.degrading), delays(s.degrading), percent(s.silent.rate),
                     delays(s.silent), str(s.degrading.wrong_sensor + s.silent.wrong_sensor),
                     str(s.false_alarms), minutes(s.clean_h), rate_per_h(s.false_alarms_per_h)])
    return markdown_table(
        ["method", "threshold", f"degrading ≥ {DEGRADING_MIN_SEVERITY:g}: detection", "detected",
         "delay p50 / p95 (s)", "silent: detection", "delay p50 / p95 (s)",
         "wrong-sensor alarms", "false alarms", "clean min", "false alarms/h"], rows)


def condition_table(results: Sequence[MethodResult]) -> list[str]:
    conditions = results[0].summary.by_condition
    rows = []
    for condition, (_, hours) in conditions.items():
        row = [condition, minutes(hours)]
        for result in results:
            count, _ = result.summary.by_condition[condition]
            row.append(f"{count} ({rate_per_h(per_hour(count, hours))}/h)")
        rows.append(row)
    return markdown_table(["condition", "clean min",
                           *(f"{r.method.name}: false alarms" for r in results)], rows)


def impact_table(impacts: Mapping[FaultKey, Sequence[Impact]]) -> list[str]:
    """Per fault kind × severity, means over its drives: the degraded sensors' share and the
    detections per frame, before → during the fault."""
    rows = []
    for (kind, severity), found in impacts.items():
        sensors = list(found[0].share_before)
        shares = ", ".join(f"{s} {number(_mean([i.share_before[s] for i in found]), '.2f')} → "
                           f"{number(_mean([i.share_during[s] for i in found]), '.2f')}"
                           for s in sensors)
        before = _mean([i.detections_before for i in found])
        during = _mean([i.detections_during for i in found])
        lost = (before - during) / before if before and during is not None else None
        rows.append([kind, f"{severity:g}", str(len(found)), shares,
                     f"{number(before, '.1f')} → {number(during, '.1f')}", percent(lost)])
    return markdown_table(["fault", "severity", "drives", "share before → during",
                           "detections/frame before → during", "detections lost"], rows)


def _mean(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return float(np.mean(known)) if known else None


def sweep_table(results: Sequence[MethodResult]) -> list[str]:
    rows = [[r.method.name, "as configured" if t is None else f"{r.method.parameter} = {t:g}",
             percent(s.degrading.rate), percent(s.silent.rate), str(s.false_alarms),
             rate_per_h(s.false_alarms_per_h)]
            for r in results for t, s in r.curve]
    return markdown_table(["method", "threshold", "degrading: detection", "silent: detection",
                           "false alarms", "false alarms/h"], rows)


def tables(results: Sequence[MethodResult], impacts: Mapping[FaultKey, Sequence[Impact]]
           ) -> list[str]:
    """The tables printed and written: overall, per fault, per condition, perception impact."""
    return ["## Overall", "", *overall_table(results), "",
            "## Per fault", "", *fault_table(results), "",
            "## False alarms per condition (clean driving)", "", *condition_table(results), "",
            "## Perception impact (lmd: shares and detections of the product's model)", "",
            *impact_table(impacts)]


def headline(results: Sequence[MethodResult]) -> str:
    """``method: detection = X%, false alarms = Y/h; ...``: degrading faults ≥ 0.5."""
    return "; ".join(f"{r.method.name}: detection = {percent(r.summary.degrading.rate)}, "
                     f"false alarms = {rate_per_h(r.summary.false_alarms_per_h)}/h"
                     for r in results)


def plot_path(docs: Path) -> Path:
    return docs.with_name(f"{docs.stem}_roc.png")


def roc_plot(results: Sequence[MethodResult], path: Path) -> None:
    fig = Figure(figsize=(10, 4))
    axes = fig.subplots(1, 2, sharey=True)
    groups = (("degrading", f"degrading faults (severity ≥ {DEGRADING_MIN_SEVERITY:g})"),
              ("silent", "silent sensors"))
    for ax, (group, title) in zip(axes, groups, strict=True):
        for k, result in enumerate(results):
            colour = f"C{k}"
            points = sorted(_point(s, group) for _, s in result.curve if _known(s, group))
            if points:
                ax.plot(*zip(*points, strict=True), "o-", color=colour, ms=3,
                        label=result.method.name)
            if _known(result.summary, group):
                ax.plot(*_point(result.summary, group), "*", color=colour, ms=14,
                        markeredgecolor="k")
        ax.set_title(title)
        ax.set_xlabel("false alarms per hour of clean driving")
        ax.set_xscale("symlog", linthresh=1.0)
        ax.set_ylim(-5, 105)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("faults detected (%)")
    axes[0].legend(loc="lower right", title="★ operating point")
    fig.savefig(path, dpi=100, bbox_inches="tight")


def _known(summary: Summary, group: str) -> bool:
    return summary.false_alarms_per_h is not None and getattr(summary, group).rate is not None


def _point(summary: Summary, group: str) -> tuple[float, float]:
    return summary.false_alarms_per_h, 100 * getattr(summary, group).rate


def dependency_section(agreement: DependencyAgreement, command: str) -> list[str]:
    """How often ``dep_<modality>`` (the linearized counterfactual) agrees with re-running the
    model without that sensor."""
    rows = [[m, str(c.both), str(c.linearized_only), str(c.real_only), str(c.neither),
             percent(c.agreement)] for m, c in agreement.counts.items()]
    return ["## Per-detection sensor dependency: linearized against real", "",
            f"`dep_<modality>` says a detection would fall below the score threshold without "
            f"that sensor's contribution, `sigmoid(z − c_m) < score_threshold`. Checked against "
            f"the real counterfactual (the model re-run with that sensor absent, as in training "
            f"dropout) on {agreement.detections} detections of {agreement.frames} held-out "
            f"frames (`{command}`); overall agreement {percent(agreement.agreement)}:", "",
            *markdown_table(["modality", "both depend", "linearized only", "real only",
                             "neither", "agreement"], rows), "",
            "Agreement is high because most detections depend on no single sensor. Of the "
            "detections that really depend on a sensor, the linearized check finds " + ", ".join(
                f"{m} {c.both}/{c.both + c.real_only}" for m, c in agreement.counts.items())
            + ": removing a sensor can cost more than its linear contribution says."]


def write_docs(path: Path, about: Sequence[str], results: Sequence[MethodResult],
               impacts: Mapping[FaultKey, Sequence[Impact]], extra: Sequence[str] = ()) -> None:
    """``path`` (Markdown: ``about``, the tables, the sweep, ``extra``) and its plot beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    plot = plot_path(path)
    roc_plot(results, plot)
    lines = ["# Alarm benchmark: the product's alarms against two ROS baselines", "",
             *about, "", *tables(results, impacts), "",
             "## Threshold sweep", "",
             "Detection rate against false alarms per hour along each method's threshold; the "
             "star marks the operating point.", "", f"![detection vs false alarms]({plot.name})",
             "", *sweep_table(results), "", *extra, *([""] if extra else []),
             "Summary: " + headline(results)]
    path.write_text("\n".join(lines) + "\n")


def impacts_by_fault(found: Sequence[tuple[FaultKey, Impact]]
                     ) -> dict[FaultKey, list[Impact]]:
    grouped: dict[FaultKey, list[Impact]] = defaultdict(list)
    for key, impact in sorted(found, key=lambda item: item[0]):
        grouped[key].append(impact)
    return dict(grouped)
