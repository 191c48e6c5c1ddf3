"""Any camera's images at the reference model's input size, with the intrinsics rescaled exactly.

Policy (``camera_fit``): ``crop`` (default) cuts the calibrated image to the model's aspect
ratio, centred, then resizes it, so pixels stay square as in training; ``stretch`` resizes the
whole image, changing the aspect. Pixel coordinates are continuous: column j spans u in
[j, j + 1) (the world's convention), so a crop box (x0, y0, x1, y1) and a resize to W x H map
u to ``(u - x0) * W / (x1 - x0)``: the intrinsics become ``S @ K`` with
``S = [[sx, 0, -sx x0], [0, sy, -sy y0], [0, 0, 1]]``, exactly. An image that arrives at another
size than its calibration (a scaled stream of the same camera) is fitted by the same box,
scaled to its own size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from lmd_ros.sensors import CameraCalibration

CAMERA_FITS = ("crop", "stretch")
ASPECT_TOLERANCE = 0.01
"""An image whose aspect differs from its calibration's by more than this is not that camera."""


@dataclass(frozen=True)
class CameraFit:
    """The crop box (calibrated pixels) and output size that take one camera to the model."""

    box: tuple[float, float, float, float]
    calibrated_size: tuple[int, int]
    """(width, height) the intrinsics are calibrated for."""
    size: tuple[int, int]
    """(width, height) of the model's input."""

    @property
    def scale(self) -> tuple[float, float]:
        x0, y0, x1, y1 = self.box
        return self.size[0] / (x1 - x0), self.size[1] / (y1 - y0)

    def intrinsics(self, K: np.ndarray) -> np.ndarray:
        """``K`` of the fitted image."""
        (sx, sy), (x0, y0) = self.scale, self.box[:2]
        S = np.array([[sx, 0.0, -sx * x0], [0.0, sy, -sy * y0], [0.0, 0.0, 1.0]])
        return S @ np.asarray(K, np.float64)

    def image(self, image: np.ndarray) -> np.ndarray:
        """The H x W x 3 uint8 image at the model's size; ValueError when it is not this camera's
        aspect ratio."""
        height, width = image.shape[:2]
        cal_w, cal_h = self.calibrated_size
        if abs((width / height) / (cal_w / cal_h) - 1) > ASPECT_TOLERANCE:
            raise ValueError(f"image of {width}x{height} does not have the aspect of its "
                             f"calibration ({cal_w}x{cal_h})")
        if (width, height) == self.size == self.calibrated_size:
            return image
        ratio = width / cal_w
        box = tuple(c * ratio for c in self.box)
        resized = Image.fromarray(image).resize(self.size, Image.Resampling.BILINEAR, box=box)
        return np.asarray(resized)


def camera_fit(camera: CameraCalibration, height: int, width: int, mode: str = "crop"
               ) -> CameraFit:
    """How ``camera`` maps to a ``width`` x ``height`` model input under ``mode``."""
    if mode not in CAMERA_FITS:
        raise ValueError(f"camera_fit must be one of {CAMERA_FITS}, got {mode!r}")
    cal_w, cal_h = camera.width, camera.height
    box = (0.0, 0.0, float(cal_w), float(cal_h))
    if mode == "crop":
        target = width / height
        if cal_w / cal_h > target:  # too wide: cut the sides
            keep = cal_h * target
            box = ((cal_w - keep) / 2, 0.0, (cal_w + keep) / 2, float(cal_h))
        else:  # too tall: cut top and bottom
            keep = cal_w / target
            box = (0.0, (cal_h - keep) / 2, float(cal_w), (cal_h + keep) / 2)
    return CameraFit(box, (cal_w, cal_h), (width, height))
