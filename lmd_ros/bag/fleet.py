"""Many bags: one output folder each, serially or spread over a Ray cluster, and a merged index.

With Ray every bag is one task (one CPU) that writes its own outputs, so bag paths and the
output folder must be visible to every worker (a shared filesystem) and `lmd_ros` installed
there. Ray is imported only when asked for. ``index.parquet`` has one row per bag and
``index.html`` links every report.
"""

from __future__ import annotations

import html
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from lmd_ros.bag.analysis import REPORT, AnalysisOptions, analyse_bag
from lmd_ros.bag.reader import BagUnreadable

INDEX = "index"
_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("bag", pa.string()), ("out", pa.string()), ("frames", pa.int64()),
    ("detections", pa.int64()), ("alarms", pa.int64()), ("duration_s", pa.float64()),
    ("frames_per_s", pa.float64()), ("issues", pa.int64()), ("error", pa.string()))


def output_folders(bags: Sequence[Path], out: Path) -> list[Path]:
    """``out`` itself for one bag, else ``out/<bag name>`` (numbered when names repeat)."""
    if len(bags) == 1:
        return [out]
    names = [bag.resolve().name for bag in bags]
    return [out / (name if names.count(name) == 1 else f"{name}_{i}")
            for i, name in enumerate(names)]


def analyse_or_report(bag: Path, out: Path, options: AnalysisOptions) -> dict[str, Any]:
    """The bag's summary, or ``{"bag", "error"}`` when nothing in it can be read."""
    try:
        return analyse_bag(bag, out, options)
    except BagUnreadable as error:
        return {"bag": str(bag), "error": str(error)}


def run_serial(bags: Sequence[Path], outs: Sequence[Path], options: AnalysisOptions,
               ) -> list[dict[str, Any]]:
    return [analyse_or_report(bag, out, options) for bag, out in zip(bags, outs, strict=True)]


def run_ray(address: str, bags: Sequence[Path], outs: Sequence[Path],
            options: AnalysisOptions, report: Callable[[str], None] = print,
            local_cpus: int | None = None) -> list[dict[str, Any]]:
    """One Ray task per bag on the cluster at ``address`` (``local``: start one here, with
    ``local_cpus`` workers, default all cores)."""
    import ray

    local = address == "local"
    ray.init(address=None if local else address, num_cpus=local_cpus if local else None,
             include_dashboard=False, logging_level="ERROR")
    try:
        task = ray.remote(num_cpus=1)(analyse_or_report)
        quiet = replace(options, progress=False)
        pending = {task.remote(bag.resolve(), out.resolve(), quiet): i
                   for i, (bag, out) in enumerate(zip(bags, outs, strict=True))}
        results: list[dict[str, Any]] = [{} for _ in bags]
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            index = pending.pop(done[0])
            results[index] = ray.get(done[0])
            report(f"{len(bags) - len(pending)}/{len(bags)} bags done: {bags[index]}")
        return results
    finally:
        ray.shutdown()


def write_index(out: Path, outs: Sequence[Path], summaries: Sequence[dict[str, Any]]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for folder, summary in zip(outs, summaries, strict=True):
        rows.append({**{name: summary.get(name) for name, _ in _COLUMNS},
                     "out": str(folder.relative_to(out)),
                     "issues": len(summary.get("issues", []))})
    pq.write_table(pa.table({name: pa.array([r[name] for r in rows], kind)
                             for name, kind in _COLUMNS}), out / f"{INDEX}.parquet")
    esc = html.escape
    lines = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>lmd_ros bag index"
             "</title></head><body><h1>Bags</h1><table border='1' cellpadding='4'><tr>"
             + "".join(f"<th>{name}</th>" for name, _ in _COLUMNS if name != "out") + "</tr>"]
    for row in rows:
        cells = [f"<a href='{esc(row['out'])}/{REPORT}'>{esc(row['bag'])}</a>"
                 if row["error"] is None else esc(row["bag"])]
        cells += [esc("" if row[name] is None else str(row[name]))
                  for name, _ in _COLUMNS[2:]]
        lines.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    lines.append("</table></body></html>")
    (out / f"{INDEX}.html").write_text("\n".join(lines))


def print_summary(summary: dict[str, Any], out: Path) -> None:
    if "error" in summary:
        print(f"{summary['bag']}: NOT ANALYSED: {summary['error']}", file=sys.stderr)
        return
    print(f"{summary['bag']}: {summary['frames']} frames, {summary['detections']} detections, "
          f"{summary['alarms']} alarm spans, {summary['frames_per_s']} frames/s -> "
          f"{out / REPORT}")
    for issue in summary["issues"]:
        print(f"  ! {issue}")
    if not summary["frames"]:
        print(f"{summary['bag']}: NO FRAME WAS ANALYSED (see the issues above)", file=sys.stderr)


def failed(summary: dict[str, Any]) -> bool:
    """A bag that could not be read, or in which not one frame could be analysed."""
    return "error" in summary or not summary["frames"]
