"""The one way sensor data becomes model input: live node, bag analysis, training and evaluation.

A modality the frame lacks (no images, ``lidar is None``, ``radar is None``) or a missing camera
becomes zeros, so "sensor silent" and "sensor removed for an ablation" are the same input.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from lmd_ros.model.camera_fit import CameraFit, camera_fit
from lmd_ros.model.config import ModelConfig
from lmd_ros.sensors import Rig, SensorFrame


@dataclass
class ModelInputs:
    """A batch of model inputs; a modality the model does not use is ``None``.

    ``images``: (B, Ncam, 3, H, W) normalised, the rig's cameras in order, fitted to the model's
    size (`camera_fit`).
    ``camera_valid``: (B, Ncam) 1 where the camera delivered an image, else 0.
    ``projections``: (B, Ncam, 3, 4) ego point (homogeneous) -> pixel (u, v) times depth.
    ``radar_bev`` / ``lidar_bev``: (B, C, X, Y) rasterised point features on the BEV grid.
    """

    images: torch.Tensor | None
    camera_valid: torch.Tensor | None
    projections: torch.Tensor | None
    radar_bev: torch.Tensor | None
    lidar_bev: torch.Tensor | None

    def to(self, *args, **kwargs) -> ModelInputs:
        """Move/cast every tensor, like ``Tensor.to`` (e.g. float64 for exactness checks)."""
        return ModelInputs(**{f.name: None if (t := getattr(self, f.name)) is None
                              else t.to(*args, **kwargs) for f in dataclasses.fields(self)})


def preprocess(frames: Sequence[SensorFrame], rig: Rig, config: ModelConfig,
               fit: str = "crop") -> ModelInputs:
    """Turn frames from ``rig`` into a batch for a model built from ``config``.

    Any number of cameras of any size: SimpleBEV lifts each camera into the same voxel grid, so
    the count is free; each image is fitted to the model's input as ``fit`` says.
    """
    config.check_rig(rig)
    fits = [camera_fit(cam, config.image_height, config.image_width, fit) for cam in rig.cameras]

    def batch(modality: str, prepare: Callable[[SensorFrame], np.ndarray]) -> torch.Tensor | None:
        if modality not in config.modalities:
            return None
        return torch.from_numpy(np.stack([prepare(frame) for frame in frames]))

    return ModelInputs(
        images=batch("camera", lambda f: _images(f, rig, fits, config)),
        camera_valid=batch("camera", lambda f: _camera_valid(f, rig)),
        projections=batch("camera", lambda f: _projections(rig, fits)),
        radar_bev=batch("radar", lambda f: radar_raster(f, rig, config)),
        lidar_bev=batch("lidar", lambda f: lidar_raster(f, rig, config)),
    )


def _images(frame: SensorFrame, rig: Rig, fits: Sequence[CameraFit],
            config: ModelConfig) -> np.ndarray:
    mean = np.asarray(config.image_mean, np.float32)
    std = np.asarray(config.image_std, np.float32)
    images = np.zeros((len(rig.cameras), 3, config.image_height, config.image_width), np.float32)
    for k, (cam, fit) in enumerate(zip(rig.cameras, fits, strict=True)):
        image = frame.images.get(cam.name)
        if image is None:
            continue
        try:
            fitted = fit.image(image)
        except ValueError as error:
            raise ValueError(f"camera {cam.name!r}: {error}") from None
        images[k] = ((fitted.astype(np.float32) / 255.0 - mean) / std).transpose(2, 0, 1)
    return images


def _camera_valid(frame: SensorFrame, rig: Rig) -> np.ndarray:
    return np.array([cam.name in frame.images for cam in rig.cameras], np.float32)


def _projections(rig: Rig, fits: Sequence[CameraFit]) -> np.ndarray:
    """K [R|t] of every camera (K of its fitted image), mapping ego points to homogeneous
    pixels."""
    matrices = []
    for cam, fit in zip(rig.cameras, fits, strict=True):
        T_camera_ego = np.linalg.inv(np.asarray(cam.T_ego_camera, np.float64))
        matrices.append(fit.intrinsics(cam.K) @ T_camera_ego[:3])
    return np.stack(matrices).astype(np.float32)


def _to_ego(points: np.ndarray, T_ego_sensor: np.ndarray) -> np.ndarray:
    T = np.asarray(T_ego_sensor, np.float64)
    return (points[:, :3].astype(np.float64) @ T[:3, :3].T + T[:3, 3]).astype(np.float32)


def _cell_index(xyz: np.ndarray, config: ModelConfig) -> np.ndarray:
    """Flat BEV cell index (row = x bin, column = y bin) of each point; -1 outside the grid."""
    rows, cols, inside = config.cell_of(xyz[:, 0], xyz[:, 1])
    return np.where(inside, rows * config.grid_shape[1] + cols, -1)


def _cell_sums(cells: np.ndarray, weights: np.ndarray | None, config: ModelConfig) -> np.ndarray:
    """Per-cell sum of ``weights`` (count if None) over the points with a valid cell."""
    inside = cells >= 0
    n_cells = config.grid_shape[0] * config.grid_shape[1]
    return np.bincount(cells[inside], None if weights is None else weights[inside],
                       minlength=n_cells).astype(np.float32)


def _mean_where_counted(sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
    return np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)


def radar_raster(frame: SensorFrame, rig: Rig, config: ModelConfig) -> np.ndarray:
    """Occupancy, mean RCS and mean radial velocity per cell, normalised by the config."""
    bev = np.zeros((config.radar_channels, config.grid_shape[0] * config.grid_shape[1]),
                   np.float32)
    if frame.radar is not None and len(frame.radar):
        cells = _cell_index(_to_ego(frame.radar, rig.radar.T_ego_sensor), config)
        counts = _cell_sums(cells, None, config)
        rcs = _mean_where_counted(_cell_sums(cells, frame.radar[:, 3], config), counts)
        velocity = _mean_where_counted(_cell_sums(cells, frame.radar[:, 4], config), counts)
        occupied = counts > 0
        bev[0] = occupied
        bev[1] = np.where(occupied, (rcs - config.radar_rcs_offset) / config.radar_rcs_scale, 0)
        bev[2] = velocity / config.radar_velocity_scale
    return bev.reshape(config.radar_channels, *config.grid_shape)


def lidar_raster(frame: SensorFrame, rig: Rig, config: ModelConfig) -> np.ndarray:
    """Log point density per height band and mean intensity of the points inside the bands."""
    bev = np.zeros((config.lidar_channels, config.grid_shape[0] * config.grid_shape[1]),
                   np.float32)
    if frame.lidar is not None and len(frame.lidar):
        xyz = _to_ego(frame.lidar, rig.lidar.T_ego_sensor)
        band = np.digitize(xyz[:, 2], config.lidar_height_bands) - 1
        in_bands = (band >= 0) & (band < len(config.lidar_height_bands) - 1)
        cells = np.where(in_bands, _cell_index(xyz, config), -1)
        for b in range(len(config.lidar_height_bands) - 1):
            counts = _cell_sums(np.where(band == b, cells, -1), None, config)
            bev[b] = np.log1p(counts) / config.lidar_log_count_scale
        intensity = _mean_where_counted(_cell_sums(cells, frame.lidar[:, 3], config),
                                        _cell_sums(cells, None, config))
        bev[-1] = intensity / config.lidar_intensity_scale
    return bev.reshape(config.lidar_channels, *config.grid_shape)
