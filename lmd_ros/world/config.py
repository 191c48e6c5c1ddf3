"""What the synthetic world is made of: class names and every tunable size, rate and range."""

from __future__ import annotations

from dataclasses import dataclass

CLASS_NAMES: tuple[str, ...] = ("vehicle", "pedestrian")
"""Object classes; ``GroundTruth.classes`` and occupancy channels index into this tuple."""

VEHICLE, PEDESTRIAN = range(len(CLASS_NAMES))


@dataclass(frozen=True)
class WorldConfig:
    """Sizes, rates and ranges of one drive. The defaults give ~8-20 objects within ±30 m.

    Object counts are means over the whole road loop (``loop_length_m`` long, centred on the
    ego); each seed draws its own counts around them.

    The last group sets the driving condition (`lmd_ros.world.conditions` names useful ones);
    their defaults are a dry, clear day. ``light`` scales image brightness (1 = daylight) and
    the camera's noise std by 1/sqrt(light), as its gain rises; ``headlights`` is the ego's
    headlight illuminance on the road just ahead, in units of daylight. ``tunnels`` per loop,
    each ``tunnel_length_m`` long, dim the light to ``tunnel_light`` of outside. ``low_sun``
    (0..1) is the bloom of a sun low ahead. ``wetness`` (0..1) darkens the road and makes it
    mirror the sky; a wet road also loses ``lidar_ground_miss_rate`` of its LiDAR returns
    (specular reflection) and spray adds ``lidar_spray`` spurious returns a sweep.
    ``radar_noise_scale`` scales every radar measurement noise; ``roadside_reflectors`` are
    static strong radar reflectors (poles, signs, railings) per loop.
    """

    rate_hz: float = 10.0
    duration_s: float = 20.0
    loop_length_m: float = 200.0
    moving_vehicles: int = 18
    parked_vehicles: int = 10
    pedestrians: int = 16
    crossing_fraction: float = 0.25
    ego_speed_range: tuple[float, float] = (6.0, 12.0)
    gt_range_m: float = 40.0
    camera_noise_std: float = 3.0
    lidar_beams: int = 32
    lidar_azimuth_steps: int = 1024
    lidar_elevation_deg: tuple[float, float] = (-25.0, 5.0)
    lidar_max_range_m: float = 40.0
    lidar_range_noise_m: float = 0.02
    lidar_miss_rate: float = 0.02
    radar_max_range_m: float = 80.0
    radar_clutter: float = 12.0
    light: float = 1.0
    headlights: float = 0.0
    tunnels: int = 0
    tunnel_length_m: float = 40.0
    tunnel_light: float = 0.2
    low_sun: float = 0.0
    wetness: float = 0.0
    lidar_ground_miss_rate: float = 0.0
    lidar_spray: float = 0.0
    radar_noise_scale: float = 1.0
    roadside_reflectors: float = 0.0

    @property
    def frame_count(self) -> int:
        return round(self.duration_s * self.rate_hz)
