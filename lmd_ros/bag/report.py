"""The self-contained HTML report of one bag: summary, problems, alarms, plots and pictures.

Plots (matplotlib figures, rendered without pyplot's global state) and pictures are embedded as
base64 PNG, so the file can be mailed or attached to a ticket as it is. Colours are the
monitor's: the same sensor, the same colour.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
from matplotlib.figure import Figure
from PIL import Image

from lmd_ros.bag.snapshots import Snapshot
from lmd_ros.monitor.alarms import AlarmSpan, Level
from lmd_ros.monitor.render import modality_colour

RANGE_BANDS_M: tuple[tuple[float, float], ...] = ((0.0, 10.0), (10.0, 20.0), (20.0, np.inf))
_SPAN_ALPHA = {Level.WARN: 0.15, Level.ERROR: 0.35, Level.STALE: 0.1}
_STYLE = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}
.issue{color:#a40}figure{display:inline-block;margin:0 1em 1em 0}"""


def _colour(modality: str, modalities: Sequence[str]) -> tuple[float, ...]:
    return tuple(c / 255 for c in modality_colour(modality, list(modalities).index(modality)))


def _figure_png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def _picture_png(rgb: np.ndarray, scale: int = 2) -> str:
    buffer = io.BytesIO()
    image = Image.fromarray(rgb)
    image.resize((rgb.shape[1] * scale, rgb.shape[0] * scale), Image.NEAREST).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _img(png: str, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{png}">'


def shares_over_time(frames: pa.Table, timeline: Sequence[AlarmSpan],
                     modalities: Sequence[str], t0: float, t1: float) -> str:
    """One panel per sensor: its frame share against time, its alarm spans shaded."""
    fig = Figure(figsize=(10, 1.8 * len(modalities)))
    axes = fig.subplots(len(modalities), 1, sharex=True, squeeze=False)
    t = frames["stamp"].to_numpy() - t0
    for ax, modality in zip(axes[:, 0], modalities, strict=True):
        ax.plot(t, frames[f"s_{modality}"].to_numpy(), ".-", ms=2, lw=0.8,
                color=_colour(modality, modalities))
        for span in timeline:
            if span.sensor == modality:
                end = t1 if span.clear is None else span.clear
                ax.axvspan(span.onset - t0, end - t0, color="red",
                           alpha=_SPAN_ALPHA[span.level], lw=0)
        ax.set_ylim(0, 1)
        ax.set_ylabel(f"{modality}\nshare")
    axes[-1, 0].set_xlabel("time since bag start (s); shaded: alarms (darker = ERROR)")
    return _figure_png(fig)


def single_sensor_over_time(frames: pa.Table, modalities: Sequence[str], t0: float) -> str:
    """Per frame, the detections that depend on one sensor alone, stacked by that sensor: a
    scene leaning on one sensor is where its failure would cost detections."""
    fig = Figure(figsize=(10, 2.2))
    ax = fig.subplots()
    ax.stackplot(frames["stamp"].to_numpy() - t0,
                 *(frames[f"single_sensor_{m}"].to_numpy() for m in modalities),
                 labels=[f"only {m}" for m in modalities],
                 colors=[_colour(m, modalities) for m in modalities], step="mid")
    ax.set_ylabel("single-sensor\ndetections")
    ax.set_xlabel("time since bag start (s)")
    ax.legend(loc="upper right", fontsize=8)
    return _figure_png(fig)


def share_distributions(groups: Mapping[str, np.ndarray], modalities: Sequence[str],
                        title: str) -> str:
    """Box plots of per-detection shares, one panel per group ((N, M) share rows each)."""
    fig = Figure(figsize=(3.2 * len(groups), 3))
    axes = fig.subplots(1, len(groups), sharey=True, squeeze=False)
    for ax, (name, shares) in zip(axes[0], groups.items(), strict=True):
        if len(shares):
            boxes = ax.boxplot([shares[:, k] for k in range(len(modalities))],
                               patch_artist=True, widths=0.6)
            for patch, modality in zip(boxes["boxes"], modalities, strict=True):
                patch.set_facecolor(_colour(modality, modalities))
        ax.set_xticks(range(1, len(modalities) + 1), modalities)
        ax.set_title(f"{name} (n={len(shares)})", fontsize=10)
    axes[0, 0].set_ylabel("share")
    fig.suptitle(title, fontsize=11, y=1.05)
    return _figure_png(fig)


def _groups(detections: pa.Table, modalities: Sequence[str]) -> tuple[dict, dict]:
    shares = np.stack([detections[f"s_{m}"].to_numpy() for m in modalities], axis=1) \
        if detections.num_rows else np.zeros((0, len(modalities)))
    classes = np.array(detections["class"].to_pylist(), dtype=object)
    by_class = {c: shares[classes == c] for c in sorted(set(classes))}
    distance = np.hypot(detections["x"].to_numpy(), detections["y"].to_numpy())
    by_range = {(f"{lo:.0f}-{hi:.0f} m" if np.isfinite(hi) else f">{lo:.0f} m"):
                shares[(distance >= lo) & (distance < hi)] for lo, hi in RANGE_BANDS_M}
    return by_class, by_range


def write_report(path: Path, summary: Mapping[str, object], issues: Sequence[str],
                 detections: pa.Table, frames: pa.Table, timeline: Sequence[AlarmSpan],
                 snapshots: Sequence[Snapshot], omitted: int, modalities: Sequence[str],
                 t0: float, t1: float) -> None:
    """Write the report; ``t0``/``t1`` is the bag's time range (times are shown relative)."""
    esc = html.escape
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>lmd_ros: "
             f"{esc(str(summary['bag']))}</title><style>{_STYLE}</style></head><body>",
             f"<h1>Modality report: {esc(str(summary['bag']))}</h1><table>"]
    parts += [f"<tr><th>{esc(k)}</th><td>{esc(str(v))}</td></tr>" for k, v in summary.items()]
    parts.append("</table><h2>What could not be analysed</h2>")
    parts.append("<ul>" + "".join(f"<li class='issue'>{esc(i)}</li>" for i in issues) + "</ul>"
                 if issues else "<p>Nothing: every sensor topic was read and used.</p>")
    parts.append("<h2>Alarms</h2>")
    if timeline:
        parts.append("<table><tr><th>onset (s)</th><th>clear (s)</th><th>sensor</th>"
                     "<th>level</th><th>reason</th></tr>")
        for s in timeline:
            clear = "open" if s.clear is None else f"{s.clear - t0:.2f}"
            parts.append(f"<tr><td>{s.onset - t0:.2f}</td><td>{clear}</td><td>{esc(s.sensor)}"
                         f"</td><td>{s.level.name}</td><td>{esc(s.reason)}</td></tr>")
        parts.append("</table>")
    else:
        parts.append("<p>No alarm.</p>")
    if frames.num_rows:
        by_class, by_range = _groups(detections, modalities)
        parts += ["<h2>Sensor shares over time</h2>",
                  _img(shares_over_time(frames, timeline, modalities, t0, t1),
                       "shares over time"),
                  "<h2>Single-sensor detections over time</h2>",
                  _img(single_sensor_over_time(frames, modalities, t0),
                       "single-sensor detections over time"),
                  "<h2>Share distributions</h2>",
                  _img(share_distributions(by_class, modalities, "per class"), "per class"),
                  _img(share_distributions(by_range, modalities, "per range band"),
                       "per range band")]
    parts.append("<h2>At each alarm onset</h2>")
    for snap in snapshots:
        event = snap.event
        caption = (f"t={event.stamp - t0:.2f} s: {event.sensor} {event.new.name} "
                   f"({event.reason}); frame t={snap.frame_stamp - t0:.2f} s")
        bev = "" if snap.bev is None else _img(_picture_png(snap.bev), "bev")
        parts.append(f"<h3>{esc(caption)}</h3><figure>{bev}"
                     "<figcaption>BEV contributions (colour = sensor)</figcaption></figure>")
        if snap.overlay is not None:
            name, picture = snap.overlay
            parts.append(f"<figure>{_img(_picture_png(picture), name)}<figcaption>camera "
                         f"{esc(name)}: boxes and shares</figcaption></figure>")
    if omitted:
        parts.append(f"<p>{omitted} later onsets not pictured.</p>")
    if not snapshots and not omitted:
        parts.append("<p>None.</p>")
    parts.append("</body></html>")
    path.write_text("\n".join(parts))
