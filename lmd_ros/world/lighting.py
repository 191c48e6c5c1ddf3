"""How much light a camera gets: daylight, dimmed in tunnels, the ego's headlights, a low sun.

Light multiplies the rendered colours (1 = the clear day the defaults render). A camera's
exposure follows the light along the road as a whole, so tunnels dim a frame uniformly; the
headlights light only what lies in their beam, and the sun blooms around its direction.
"""

from __future__ import annotations

import math

import numpy as np

from lmd_ros.world.config import WorldConfig

FIRST_TUNNEL_M = 30.0
"""World x of the first tunnel's entrance; the others follow evenly around the road loop."""
TUNNEL_PORTAL_M = 8.0
"""The light fades over this many metres into a tunnel, and comes back over its last ones."""
HEADLIGHT_POSITION = np.array([2.3, 0.0, 0.7])
"""The headlights (ego frame): at the front bumper, shining along +x."""
HEADLIGHT_HALF_ANGLE_DEG = 35.0
HEADLIGHT_REACH_M = 15.0
"""The headlights' illuminance halves at this distance (inverse-square beyond it)."""
SUN_ELEVATION_DEG = 4.0
"""A low sun straight ahead (ego +x), just above the horizon."""
SUN_SPREAD_DEG = 10.0
"""Angular std of its bloom: in the front camera, not in the side ones (their view starts 40°
off the sun)."""


def ambient(config: WorldConfig, x_world: float) -> float:
    """The light at road position ``x_world``: ``config.light``, dimmed inside a tunnel."""
    if not config.tunnels:
        return config.light
    past_entrance = (x_world - FIRST_TUNNEL_M) % (config.loop_length_m / config.tunnels)
    depth = min(past_entrance, config.tunnel_length_m - past_entrance) / TUNNEL_PORTAL_M
    dimming = (1 - config.tunnel_light) * float(np.clip(depth, 0.0, 1.0))
    return config.light * (1 - dimming)


def headlight(points: np.ndarray, strength: float) -> np.ndarray:
    """Headlight illuminance (units of daylight) at surface points (N, 3) in ego: full across
    the beam's core, fading to nothing at its edge, falling off with distance."""
    offset = points - HEADLIGHT_POSITION
    distance = np.maximum(np.linalg.norm(offset, axis=1), 1e-6)
    edge = math.cos(math.radians(HEADLIGHT_HALF_ANGLE_DEG))
    beam = np.clip((offset[:, 0] / distance - edge) / (1 - edge), 0.0, 1.0)
    return strength * beam / (1 + (distance / HEADLIGHT_REACH_M) ** 2)


def sun_bloom(rays: np.ndarray, strength: float) -> np.ndarray:
    """How far a low sun ahead washes each pixel (unit ray, ego axes) towards white, 0..1."""
    elevation = math.radians(SUN_ELEVATION_DEG)
    sun = np.array([math.cos(elevation), 0.0, math.sin(elevation)])
    angle = np.arccos(np.clip(rays @ sun, -1.0, 1.0))
    return strength * np.exp(-0.5 * (angle / math.radians(SUN_SPREAD_DEG)) ** 2)
