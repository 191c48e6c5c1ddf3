"""Everything that fixes the token-fusion network's tensors: one frozen record, saved with it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lmd_ros.model.config import ModelConfig, from_plain_dict, plain_dict


@dataclass(frozen=True)
class TokenFusionConfig:
    """Widths, query layout and point rasters of one `TokenFusion`.

    Cameras are a set of tokens: their number and image sizes come from the rig at run time.
    Radar and LiDAR points are rasterised on a ±24 m grid (the reference model's rasters) and cut
    into 6 m cell tokens; object queries sit on a ``query_grid`` x ``query_grid`` lattice over
    the same square.
    """

    class_names: tuple[str, ...] = ("vehicle", "pedestrian")
    class_heights: tuple[float, ...] = (1.6, 1.75)
    """Box height per class (m); centres sit at half height: z and h are priors, not regressed."""
    x_range: tuple[float, float] = (-24.0, 24.0)
    y_range: tuple[float, float] = (-24.0, 24.0)
    resolution: float = 0.75
    """Cell size (m) of the point rasters before they are cut into tokens."""
    query_grid: int = 12
    width: int = 64
    heads: int = 4
    feedforward: int = 128
    encoder_layers: int = 1
    decoder_layers: int = 2
    image_mean: float = 0.5
    image_std: float = 0.25

    def __post_init__(self) -> None:
        if len(self.class_heights) != len(self.class_names):
            raise ValueError("class_heights needs one height per class")
        if self.width % self.heads:
            raise ValueError("width must be a multiple of heads")

    @property
    def raster(self) -> ModelConfig:
        """The reference model's point rasters on this grid (their normalisation, too)."""
        return ModelConfig(modalities=("radar", "lidar"), x_range=self.x_range,
                           y_range=self.y_range, resolution=self.resolution)

    @property
    def query_spacing(self) -> tuple[float, float]:
        """Metres between neighbouring query reference points along x and y."""
        return ((self.x_range[1] - self.x_range[0]) / self.query_grid,
                (self.y_range[1] - self.y_range[0]) / self.query_grid)

    def to_dict(self) -> dict[str, Any]:
        return plain_dict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TokenFusionConfig:
        return from_plain_dict(cls, values)
