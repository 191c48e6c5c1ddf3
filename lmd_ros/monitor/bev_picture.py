"""The annotated top-down picture of one frame: evidence, metric grid, ego, boxes, legend.

What an engineer needs to read ``~/bev_contributions`` without the docs: forward is up and left
is left; grey lines every 10 m (labelled in metres from the ego); the ego vehicle in white with
its heading arrow; each detection's box in the colour of its modality mix with its class, score
and a share bar; and a legend naming each modality's colour with its part of the frame's
evidence. Brightness uses one scale for all modalities (the 99.5th percentile of the summed
evidence) with a gamma of 0.5, so weak evidence stays visible while a modality that really
carries less still looks weaker — per-modality normalisation would paint a failing sensor as
bright as a healthy one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from lmd_ros.adapters import BEVGrid, Detection
from lmd_ros.monitor.attribution import FrameAttribution
from lmd_ros.monitor.render import mix_colour, modality_colour

GAMMA = 0.5
GRID_STEP_M = 10.0
TARGET_SIZE_PX = 512
EGO_SIZE_M = (4.5, 1.9)
LINE_PX = 12
GRID_COLOUR, TEXT_COLOUR, EGO_COLOUR = (90, 90, 90), (235, 235, 235), (255, 255, 255)


def evidence_brightness(evidence: np.ndarray) -> np.ndarray:
    """(M, X, Y) evidence → (M, X, Y) brightness in [0, 1]: one shared scale, gamma 0.5."""
    positive = np.clip(evidence, 0, None)
    peak = np.percentile(positive.sum(axis=0), 99.5)
    if peak <= 0:
        return np.zeros_like(positive)
    return np.clip(positive / peak, 0, 1) ** GAMMA


class TopDown:
    """Ego metres ↔ picture pixels for a grid drawn forward-up, left-left at ``scale`` px/cell."""

    def __init__(self, grid: BEVGrid, scale: int) -> None:
        self.grid, self.scale = grid, scale
        self.rows = round((grid.x_range[1] - grid.x_range[0]) / grid.resolution)
        self.cols = round((grid.y_range[1] - grid.y_range[0]) / grid.resolution)

    def pixel(self, x: float, y: float) -> tuple[float, float]:
        """(column, row) of the ego-frame point (x forward, y left)."""
        g = self.grid
        return ((g.y_range[1] - y) / g.resolution * self.scale,
                (g.x_range[1] - x) / g.resolution * self.scale)

    @property
    def size(self) -> tuple[int, int]:
        return self.cols * self.scale, self.rows * self.scale


def bev_picture(result: FrameAttribution, grid: BEVGrid,
                class_names: Sequence[str]) -> np.ndarray:
    """The annotated RGB picture of a frame with evidence (see the module docstring)."""
    evidence = result.evidence
    view = TopDown(grid, max(1, TARGET_SIZE_PX // max(evidence.shape[1:])))
    brightness = evidence_brightness(evidence)
    colours = [modality_colour(m, k) for k, m in enumerate(result.modalities)]
    layers = (brightness[..., None] * np.array(colours, float)[:, None, None, :]).sum(axis=0)
    top_down = np.clip(layers, 0, 255).astype(np.uint8)[::-1, ::-1]
    scaled = top_down.repeat(view.scale, axis=0).repeat(view.scale, axis=1)
    notes = (f"box colour = modality mix, bar = shares; brightness: one scale, gamma {GAMMA:g}",
             f"ego frame, x forward = up, y left = left; grid every {GRID_STEP_M:.0f} m")
    lines = len(result.modalities) + len(notes)
    canvas = Image.new("RGB", (view.size[0], view.size[1] + _legend_height(lines)))
    canvas.paste(Image.fromarray(np.ascontiguousarray(scaled)), (0, 0))
    draw = ImageDraw.Draw(canvas)
    _draw_grid(draw, view)
    _draw_ego(draw, view)
    for detection, shares in zip(result.detections, result.shares, strict=True):
        _draw_detection(draw, view, detection, shares, result.modalities, class_names)
    totals = np.clip(evidence, 0, None).reshape(len(colours), -1).sum(axis=1)
    parts = totals / totals.sum() if totals.sum() > 0 else np.zeros_like(totals)
    entries = [(colour, f"{modality}: {part:.0%} of this frame's evidence")
               for modality, colour, part in zip(result.modalities, colours, parts, strict=True)]
    _draw_legend(draw, view.size[1] + 3, entries, notes)
    return np.asarray(canvas)


def _draw_grid(draw: ImageDraw.ImageDraw, view: TopDown) -> None:
    g = view.grid
    for x in _multiples(*g.x_range):
        (c0, r), (c1, _) = view.pixel(x, g.y_range[1]), view.pixel(x, g.y_range[0])
        draw.line([(c0, r), (c1, r)], fill=GRID_COLOUR)
        draw.text((c0 + 2, r + 1), f"x {x:+.0f} m", fill=GRID_COLOUR)
    for y in _multiples(*g.y_range):
        (c, r0), (_, r1) = view.pixel(g.x_range[1], y), view.pixel(g.x_range[0], y)
        draw.line([(c, r0), (c, r1)], fill=GRID_COLOUR)
        draw.text((c + 2, r0 + 1), f"y {y:+.0f} m", fill=GRID_COLOUR)


def _multiples(lo: float, hi: float) -> np.ndarray:
    """Multiples of the grid step strictly inside (lo, hi)."""
    steps = np.arange(np.ceil(lo / GRID_STEP_M), np.floor(hi / GRID_STEP_M) + 1) * GRID_STEP_M
    return steps[(steps > lo) & (steps < hi)]


def _footprint(view: TopDown, x: float, y: float, length: float, width: float,
               yaw: float) -> list[tuple[float, float]]:
    c, s = np.cos(yaw), np.sin(yaw)
    corners = [(length / 2, width / 2), (length / 2, -width / 2), (-length / 2, -width / 2),
               (-length / 2, width / 2)]
    return [view.pixel(x + c * dx - s * dy, y + s * dx + c * dy) for dx, dy in corners]


def _draw_ego(draw: ImageDraw.ImageDraw, view: TopDown) -> None:
    length, width = EGO_SIZE_M
    draw.polygon(_footprint(view, 0.0, 0.0, length, width, 0.0), outline=EGO_COLOUR, width=2)
    tip, left, right = (view.pixel(length / 2 + 2.5, 0.0), view.pixel(length / 2, 0.9),
                        view.pixel(length / 2, -0.9))
    draw.polygon([tip, left, right], fill=EGO_COLOUR)
    draw.text(view.pixel(-length / 2 - 0.5, width / 2), "ego", fill=EGO_COLOUR)


def _draw_detection(draw: ImageDraw.ImageDraw, view: TopDown, d: Detection, shares: np.ndarray,
                    modalities: Sequence[str], class_names: Sequence[str]) -> None:
    outline = _footprint(view, d.x, d.y, d.l, d.w, d.yaw)
    draw.polygon(outline, outline=mix_colour(shares, modalities), width=2)
    left = min(c for c, _ in outline)
    bottom = max(r for _, r in outline) + 2
    start = left
    for k, (modality, share) in enumerate(zip(modalities, shares, strict=True)):
        end = start + float(share) * 30
        if end > start:
            draw.rectangle([start, bottom, end, bottom + 3], fill=modality_colour(modality, k))
        start = end
    name = class_names[d.class_id] if 0 <= d.class_id < len(class_names) else str(d.class_id)
    draw.text((left, bottom + 5), f"{name} {d.score:.2f}", fill=TEXT_COLOUR)


def _draw_legend(draw: ImageDraw.ImageDraw, top: int,
                 entries: Sequence[tuple[tuple[int, int, int], str]], notes: Sequence[str]) -> None:
    """A colour swatch and its text per entry, then the notes in plain text."""
    for k, (colour, text) in enumerate(entries):
        row = top + k * LINE_PX
        draw.rectangle([4, row + 2, 14, row + 10], fill=colour)
        draw.text((20, row), text, fill=colour)
    for k, note in enumerate(notes):
        draw.text((4, top + (len(entries) + k) * LINE_PX), note, fill=TEXT_COLOUR)


def _legend_height(lines: int) -> int:
    return lines * LINE_PX + 6


def with_legend(picture: np.ndarray, modalities: Sequence[str], notes: Sequence[str],
                scale: int = 1) -> np.ndarray:
    """``picture`` enlarged ``scale`` times (nearest) above a legend of the modality colours,
    for saved pictures such as the demo's camera overlay."""
    big = Image.fromarray(picture).resize((picture.shape[1] * scale, picture.shape[0] * scale),
                                          Image.NEAREST)
    canvas = Image.new("RGB", (big.width, big.height + _legend_height(len(modalities)
                                                                     + len(notes))))
    canvas.paste(big, (0, 0))
    entries = [(modality_colour(m, k), m) for k, m in enumerate(modalities)]
    _draw_legend(ImageDraw.Draw(canvas), big.height + 3, entries, notes)
    return np.asarray(canvas)
