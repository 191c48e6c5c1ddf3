"""Cheap statistics of each sensor message: what a monitor can watch without running the model.

An image's brightness, contrast and sharpness and its change from the same camera's previous
image; a cloud's point count and the spread of its ranges and heights. Blackout, glare, fog and
blur move the image statistics, a frozen camera stops its change, dropout and range limits cut
the point count and the ranges, range noise and misalignment spread the heights, ghosts add far
points. Each is a plain float, so a band learnt on clean driving can flag a message outside it.
"""

from __future__ import annotations

import numpy as np

CAMERA_FEATURES = ("brightness", "contrast", "sharpness", "change")
MAX_PIXELS = 160 * 120
"""Larger images are judged on every k-th pixel of every k-th row: a 1936 x 1216 camera costs
what a small one does, and brightness, contrast and change barely notice."""
CLOUD_FEATURES = ("points", "range_mean", "range_p90", "height_mean", "height_std")


def grey(image: np.ndarray) -> np.ndarray:
    """An (H, W, 3) uint8 image as float32 grey levels 0-255, subsampled to ``MAX_PIXELS``."""
    step = max(1, int(np.ceil(np.sqrt(image.shape[0] * image.shape[1] / MAX_PIXELS))))
    return image[::step, ::step].astype(np.float32).mean(axis=2)


def message_features(kind: str, data: np.ndarray, previous: np.ndarray | None = None,
                     ) -> dict[str, float]:
    """``CAMERA_FEATURES`` of an (H, W, 3) image (``change`` only given the same camera's
    previous image), or ``CLOUD_FEATURES`` of an (N, >= 3) cloud of a ``radar`` or ``lidar``
    (only ``points`` when it is empty)."""
    if kind == "camera":
        g = grey(data)
        laplacian = 4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:]
        features = {"brightness": float(g.mean()), "contrast": float(g.std()),
                    "sharpness": float(np.abs(laplacian).mean())}
        if previous is not None and previous.shape == data.shape:
            features["change"] = float(np.abs(g - grey(previous)).mean())
        return features
    if not len(data):
        return {"points": 0.0}
    ranges = np.linalg.norm(data[:, :2], axis=1)
    heights = data[:, 2]
    return {"points": float(len(data)), "range_mean": float(ranges.mean()),
            "range_p90": float(np.percentile(ranges, 90)),
            "height_mean": float(heights.mean()), "height_std": float(heights.std())}


class InputStatistics:
    """The features of each message, keeping each camera's previous image for its change;
    ``latest`` holds each source's last features."""

    def __init__(self) -> None:
        self._previous: dict[str, np.ndarray] = {}
        self.latest: dict[str, dict[str, float]] = {}

    def __call__(self, source: str, data: np.ndarray) -> dict[str, float]:
        """Features of the message ``data`` from ``source`` (``camera/<name>``, ``lidar/<name>``,
        ``radar/<name>``)."""
        kind = source.split("/", 1)[0]
        if kind == "camera":
            features = message_features(kind, data, self._previous.get(source))
            self._previous[source] = data
        else:
            features = message_features(kind, data)
        self.latest[source] = features
        return features
