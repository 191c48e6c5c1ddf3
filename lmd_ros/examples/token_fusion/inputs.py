"""Sensor frames → the token-fusion network's inputs: images with their calibration, point rasters,
and which sensors delivered data.

A sensor the frame lacks (a camera's image, ``lidar is None``, ``radar is None``) becomes zeros
plus a ``False`` in its presence flags; the network then masks its tokens out of attention, so a
silent sensor is both an all-zero input and an empty token set.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from lmd_ros.examples.token_fusion.config import TokenFusionConfig
from lmd_ros.model.preprocess import lidar_raster, radar_raster
from lmd_ros.sensors import Rig, SensorFrame


@dataclass
class TokenInputs:
    """A batch. ``images``: (B, N, 3, H, W) normalised, cameras in rig order; ``camera_present``:
    (B, N); ``pixel_to_ray``: (N, 3, 3) = R_ego_camera K⁻¹ (pixel (u, v, 1) → ego direction);
    ``camera_origin``: (N, 3) in ego; ``radar``/``lidar``: (B, C, X, Y) rasters; ``*_present``:
    (B,) float flags, 1 where the sensor delivered data."""

    images: torch.Tensor
    camera_present: torch.Tensor
    pixel_to_ray: torch.Tensor
    camera_origin: torch.Tensor
    radar: torch.Tensor
    radar_present: torch.Tensor
    lidar: torch.Tensor
    lidar_present: torch.Tensor

    def to(self, *args, **kwargs) -> TokenInputs:
        """Move/cast every tensor, like ``Tensor.to``."""
        return TokenInputs(**{f.name: getattr(self, f.name).to(*args, **kwargs)
                              for f in dataclasses.fields(self)})


def check_cameras(rig: Rig) -> None:
    """Any number of cameras works, but they must share one image size to be batched."""
    sizes = {(c.height, c.width) for c in rig.cameras}
    if not rig.cameras or len(sizes) != 1:
        raise ValueError(f"the token-fusion model needs ≥ 1 camera, all of one image size; the "
                         f"rig has {[(c.name, c.height, c.width) for c in rig.cameras]}")


def token_inputs(frames: Sequence[SensorFrame], rig: Rig,
                 config: TokenFusionConfig) -> TokenInputs:
    """The network's inputs for ``frames`` recorded with ``rig``."""
    check_cameras(rig)
    raster = config.raster

    def stack(values: list[np.ndarray]) -> torch.Tensor:
        return torch.from_numpy(np.stack(values).astype(np.float32))

    return TokenInputs(
        images=stack([_images(f, rig, config) for f in frames]),
        camera_present=stack([[c.name in f.images for c in rig.cameras] for f in frames]),
        pixel_to_ray=stack([np.asarray(c.T_ego_camera)[:3, :3] @ np.linalg.inv(c.K)
                            for c in rig.cameras]),
        camera_origin=stack([np.asarray(c.T_ego_camera)[:3, 3] for c in rig.cameras]),
        radar=stack([radar_raster(f, rig, raster) for f in frames]),
        radar_present=stack([f.radar is not None for f in frames]),
        lidar=stack([lidar_raster(f, rig, raster) for f in frames]),
        lidar_present=stack([f.lidar is not None for f in frames]),
    )


def _images(frame: SensorFrame, rig: Rig, config: TokenFusionConfig) -> np.ndarray:
    height, width = rig.cameras[0].height, rig.cameras[0].width
    images = np.zeros((len(rig.cameras), 3, height, width), np.float32)
    for k, camera in enumerate(rig.cameras):
        image = frame.images.get(camera.name)
        if image is None:
            continue
        if image.shape != (height, width, 3):
            raise ValueError(f"camera {camera.name!r} image has shape {image.shape}, the "
                             f"calibration says {(height, width, 3)}")
        images[k] = ((image / 255.0 - config.image_mean) / config.image_std).transpose(2, 0, 1)
    return images
