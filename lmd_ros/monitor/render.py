"""Pictures for people: the modality palette and the camera overlay (numpy only; the annotated
BEV picture is `bev_picture`).

Colours are the Okabe–Ito palette, readable by colour-blind engineers; the same colour means the
same sensor in RViz markers, images and the bag report.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lmd_ros.adapters import Detection
from lmd_ros.monitor.core import CAMERA_PREFIX, FrameRecord
from lmd_ros.monitor.synchronizer import SyncedSet
from lmd_ros.sensors import CameraCalibration, Rig

MODALITY_COLOURS: dict[str, tuple[int, int, int]] = {
    "camera": (230, 159, 0),
    "radar": (86, 180, 233),
    "lidar": (0, 158, 115),
}

EXTRA_COLOURS: tuple[tuple[int, int, int], ...] = ((204, 121, 167), (240, 228, 66),
                                                  (0, 114, 178), (213, 94, 0))
"""The rest of the Okabe–Ito palette, for modalities named otherwise."""

_BOX_EDGES = ((0, 1), (1, 2), (2, 3), (3, 0), (4, 5), (5, 6), (6, 7), (7, 4),
              (0, 4), (1, 5), (2, 6), (3, 7))


def modality_colour(modality: str, index: int) -> tuple[int, int, int]:
    """A modality's colour: the sensor's own for camera / radar / LiDAR, else by position."""
    palette = list(MODALITY_COLOURS.values()) + list(EXTRA_COLOURS)
    return MODALITY_COLOURS.get(modality, palette[index % len(palette)])


def mix_colour(shares: Sequence[float], modalities: Sequence[str]) -> tuple[int, int, int]:
    """The share-weighted blend of the modality colours (grey when no modality carries it)."""
    total = float(sum(shares))
    if total <= 0:
        return (128, 128, 128)
    mixed = sum(np.array(modality_colour(m, k), float) * s
                for k, (m, s) in enumerate(zip(modalities, shares, strict=True))) / total
    return tuple(round(float(c)) for c in mixed)


def box_corners(d: Detection) -> np.ndarray:
    """(8, 3) ego-frame corners: bottom face counter-clockwise, then the top face."""
    dx, dy = np.array([1, 1, -1, -1]) * d.l / 2, np.array([1, -1, -1, 1]) * d.w / 2
    c, s = np.cos(d.yaw), np.sin(d.yaw)
    x, y = d.x + c * dx - s * dy, d.y + s * dx + c * dy
    bottom = np.stack([x, y, np.full(4, d.z - d.h / 2)], axis=1)
    top = bottom + np.array([0.0, 0.0, d.h])
    return np.concatenate([bottom, top])


def box_outline(d: Detection) -> np.ndarray:
    """(24, 3) ego-frame end points of the box's 12 edges, pairwise (an RViz LINE_LIST)."""
    return box_corners(d)[np.ravel(_BOX_EDGES)]


def camera_overlay(
    image: np.ndarray,
    camera: CameraCalibration,
    detections: Sequence[Detection],
    shares: np.ndarray,
    modalities: Sequence[str],
) -> np.ndarray:
    """The camera image with each visible detection's box and a bar of its modality shares."""
    canvas = image.copy()
    T_camera_ego = np.linalg.inv(camera.T_ego_camera)
    for detection, row in zip(detections, shares, strict=True):
        corners = (T_camera_ego @ np.c_[box_corners(detection), np.ones(8)].T)[:3].T
        if (corners[:, 2] < 0.5).any():
            continue
        pixels = (camera.K @ corners.T).T
        uv = pixels[:, :2] / pixels[:, 2:]
        colour = mix_colour(row, modalities)
        for a, b in _BOX_EDGES:
            _draw_line(canvas, uv[a], uv[b], colour)
        _draw_share_bar(canvas, uv.min(axis=0), row, modalities)
    return canvas


def overlay_picture(rig: Rig, record: FrameRecord,
                    synced: SyncedSet) -> tuple[str, np.ndarray] | None:
    """(camera name, overlay) on the rig's first camera present in the set; None without one."""
    result = record.attribution
    for camera in rig.cameras:
        image = synced.messages.get(CAMERA_PREFIX + camera.name)
        if image is not None:
            return camera.name, camera_overlay(image, camera, result.detections, result.shares,
                                               result.modalities)
    return None


def _draw_line(canvas: np.ndarray, a: np.ndarray, b: np.ndarray, colour) -> None:
    steps = int(np.ceil(np.abs(b - a).max())) + 1
    if steps > 4 * sum(canvas.shape[:2]):
        return
    u, v = np.linspace(a, b, steps).round().astype(int).T
    inside = (u >= 0) & (u < canvas.shape[1]) & (v >= 0) & (v < canvas.shape[0])
    canvas[v[inside], u[inside]] = colour


def _draw_share_bar(canvas: np.ndarray, top_left: np.ndarray, shares: np.ndarray,
                    modalities: Sequence[str], width: int = 24, height: int = 3) -> None:
    u0, v0 = int(top_left[0]), int(top_left[1]) - height - 1
    if not (v0 >= 0 and v0 + height <= canvas.shape[0]):
        return
    start = u0
    for k, (modality, share) in enumerate(zip(modalities, shares, strict=True)):
        end = start + round(float(share) * width)
        lo, hi = max(start, 0), min(end, canvas.shape[1])
        if hi > lo:
            canvas[v0:v0 + height, lo:hi] = modality_colour(modality, k)
        start = end
