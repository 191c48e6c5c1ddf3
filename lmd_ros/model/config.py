"""Everything that fixes the reference model's tensors: one frozen record, saved with its weights.

The BEV grid follows ``lmd_ros.world.bev_occupancy``: a BEV tensor is (C, X, Y) where row i is
the x bin ``x_min + (i + 0.5) * resolution`` (forward) and column j the y bin (left).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from lmd_ros.sensors import MODALITIES, Rig

MAX_CAMERAS = 12


@dataclass(frozen=True)
class ModelConfig:
    """Grid, sensors, classes, normalisation and widths of one ``SimpleBEV``.

    Defaults: ±24 m at 0.75 m (64 x 64 cells), four 96 x 160 cameras lifted at four heights —
    small enough to train on two CPU cores, fine enough to separate a pedestrian from a car.
    """

    modalities: tuple[str, ...] = MODALITIES
    class_names: tuple[str, ...] = ("vehicle", "pedestrian")
    segmentation_class: str = "vehicle"
    class_heights: tuple[float, ...] = (1.6, 1.75)
    """Box height per class (m); centres sit at half height: z and h are priors, not regressed."""
    x_range: tuple[float, float] = (-24.0, 24.0)
    y_range: tuple[float, float] = (-24.0, 24.0)
    resolution: float = 0.75
    z_levels: tuple[float, ...] = (0.25, 0.75, 1.25, 1.75)
    """Heights (m, ego) of the voxel layers into which camera features are lifted."""
    camera_names: tuple[str, ...] = ("front", "left", "right", "rear")
    """The cameras of the rig it was trained on (a record: any rig runs, see ``check_rig``)."""
    image_height: int = 96
    image_width: int = 160
    image_mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    image_std: tuple[float, float, float] = (0.25, 0.25, 0.25)
    lidar_height_bands: tuple[float, ...] = (0.2, 0.8, 1.6, 3.0)
    """Band edges (m, ego z): one density channel per band; ground returns below fall away."""
    lidar_log_count_scale: float = 3.0
    """Densities are log1p(points per cell) divided by this."""
    lidar_intensity_scale: float = 1.0
    radar_rcs_offset: float = 0.0
    radar_rcs_scale: float = 10.0
    radar_velocity_scale: float = 10.0
    camera_channels: int = 16
    camera_stride: int = 4
    camera_width: int = 32
    """Channels inside the camera encoder: its cost, which dominates in SimpleBEV (ResNet-101)."""
    bev_channels: tuple[int, ...] = (32, 48, 64)
    """Decoder widths: the first at full BEV resolution, each next one at half the previous."""
    heatmap_sigma: float = 1.0
    """Gaussian radius (cells) of the class-centre targets."""

    def __post_init__(self) -> None:
        unknown = set(self.modalities) - set(MODALITIES)
        if not self.modalities or unknown:
            raise ValueError(f"modalities must be a non-empty subset of {MODALITIES}, got "
                             f"{self.modalities}")
        if tuple(m for m in MODALITIES if m in self.modalities) != tuple(self.modalities):
            raise ValueError(f"modalities must be in the order {MODALITIES}, got {self.modalities}")
        if self.segmentation_class not in self.class_names:
            raise ValueError(f"segmentation class {self.segmentation_class!r} not in "
                             f"{self.class_names}")
        if len(self.class_heights) != len(self.class_names):
            raise ValueError("class_heights needs one height per class")
        if self.image_height % self.camera_stride or self.image_width % self.camera_stride:
            raise ValueError("image size must be a multiple of camera_stride")
        if self.grid_shape[0] % 2 ** (len(self.bev_channels) - 1) or \
                self.grid_shape[1] % 2 ** (len(self.bev_channels) - 1):
            raise ValueError("BEV grid must halve cleanly once per decoder stage")

    @property
    def grid_shape(self) -> tuple[int, int]:
        """(X rows, Y columns) of every BEV tensor."""
        return (round((self.x_range[1] - self.x_range[0]) / self.resolution),
                round((self.y_range[1] - self.y_range[0]) / self.resolution))

    def cell_of(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row (x bin), column (y bin) and inside-the-grid flag of ego positions."""
        rows = np.floor((np.asarray(x) - self.x_range[0]) / self.resolution).astype(np.int64)
        cols = np.floor((np.asarray(y) - self.y_range[0]) / self.resolution).astype(np.int64)
        n_x, n_y = self.grid_shape
        return rows, cols, (rows >= 0) & (rows < n_x) & (cols >= 0) & (cols < n_y)

    def cell_centre(self, row: Any, col: Any) -> tuple[Any, Any]:
        """Ego (x, y) of cell centres; rows and columns may be numbers, arrays or tensors."""
        return (self.x_range[0] + (row + 0.5) * self.resolution,
                self.y_range[0] + (col + 0.5) * self.resolution)

    @property
    def radar_channels(self) -> int:
        """Occupancy, mean RCS, mean radial velocity."""
        return 3

    @property
    def lidar_channels(self) -> int:
        """One density per height band (edges - 1), plus mean intensity."""
        return len(self.lidar_height_bands)

    @property
    def modality_channels(self) -> dict[str, int]:
        """Channels each modality brings to the fusion point, in ``modalities`` order."""
        channels = {"camera": self.camera_channels * len(self.z_levels),
                    "radar": self.radar_channels, "lidar": self.lidar_channels}
        return {m: channels[m] for m in self.modalities}

    def to_dict(self) -> dict[str, Any]:
        return plain_dict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ModelConfig:
        return from_plain_dict(cls, values)

    def check_rig(self, rig: Rig) -> None:
        """Refuse a rig this model cannot see through: cameras are free in number (1 to
        ``MAX_CAMERAS``), names and size (`camera_fit`), but a camera model needs one."""
        if "camera" in self.modalities and not 1 <= len(rig.cameras) <= MAX_CAMERAS:
            raise ValueError(f"the model needs 1 to {MAX_CAMERAS} cameras, the rig has "
                             f"{len(rig.cameras)}")


def plain_dict(record: Any) -> dict[str, Any]:
    """A frozen config dataclass as lists, numbers and strings: safe for
    ``torch.load(weights_only=True)``."""
    return {k: list(v) if isinstance(v, tuple) else v
            for k, v in dataclasses.asdict(record).items()}


def from_plain_dict(cls: type, values: dict[str, Any]) -> Any:
    """Inverse of `plain_dict`; a field the class does not have is an error, not ignored."""
    unknown = set(values) - {f.name for f in dataclasses.fields(cls)}
    if unknown:
        raise ValueError(f"unknown {cls.__name__} fields: {sorted(unknown)}")
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})
