"""Named driving conditions: the variability a real car sees, which a monitor must tolerate.

Each condition is a variation of a base `WorldConfig` (default: the clear day the world always
rendered, so ``day`` changes nothing). Scales multiply the base's values, so conditions
compose: ``condition_config("rain", condition_config("night"))`` is a rainy night.

- ``day``: the defaults.
- ``dusk``, ``night``: less light, so darker, lower-contrast and noisier images; at night the
  headlights light the road ahead.
- ``tunnel``: two tunnels per road loop; the light swings within one drive.
- ``low_sun``: a sun low ahead blooms in the front camera.
- ``empty``, ``dense``: a fifth of the moving traffic and pedestrians, or twice as many.
- ``rain``: overcast; a wet, darker road that mirrors the sky; the LiDAR loses many ground
  returns (specular reflection) and sees spray; the radar is noisier.
- ``clutter``: three times the parked cars, and poles, signs and railings along the road:
  many static, strong radar returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from lmd_ros.world.config import WorldConfig


def _traffic(base: WorldConfig, scale: float) -> WorldConfig:
    return replace(base, moving_vehicles=round(base.moving_vehicles * scale),
                   pedestrians=round(base.pedestrians * scale))


_VARIATIONS: dict[str, Callable[[WorldConfig], WorldConfig]] = {
    "day": lambda base: base,
    "dusk": lambda base: replace(base, light=base.light * 0.45),
    "night": lambda base: replace(base, light=base.light * 0.15, headlights=0.6),
    "tunnel": lambda base: replace(base, tunnels=2),
    "low_sun": lambda base: replace(base, low_sun=0.8),
    "empty": lambda base: _traffic(base, 0.2),
    "dense": lambda base: _traffic(base, 2.0),
    "rain": lambda base: replace(
        base, light=base.light * 0.8, wetness=1.0, lidar_ground_miss_rate=0.3, lidar_spray=25.0,
        radar_noise_scale=base.radar_noise_scale * 1.5),
    "clutter": lambda base: replace(
        base, parked_vehicles=base.parked_vehicles * 3, roadside_reflectors=60.0),
}

CONDITIONS: tuple[str, ...] = tuple(_VARIATIONS)
"""Every named condition, ``day`` first."""


def condition_config(name: str, base: WorldConfig | None = None) -> WorldConfig:
    """``base`` (default ``WorldConfig()``) under the named condition."""
    if name not in _VARIATIONS:
        raise ValueError(f"unknown condition {name!r}; valid conditions: {', '.join(CONDITIONS)}")
    return _VARIATIONS[name](WorldConfig() if base is None else base)
