"""Driving conditions: each moves the statistic it should against a day with the same seed."""

from dataclasses import replace
from functools import cache

import numpy as np
import pytest
from test_world_drive import assert_frames_equal

from lmd_ros.world import CONDITIONS, Drive, WorldConfig, condition_config, default_rig
from lmd_ros.world.lidar import SPRAY_RANGE_M
from lmd_ros.world.radar import HEIGHT_NOISE

SHORT = WorldConfig(duration_s=1.0)
SEED, FRAME = 7, 5
SKETCHY_LIDAR = {"lidar_beams": 2, "lidar_azimuth_steps": 16}
"""For tests that look at other sensors: the LiDAR then costs next to nothing."""


@cache
def frame(condition, i=FRAME, config=SHORT, cameras=None):
    rig = default_rig()
    if cameras is not None:
        rig = replace(rig, cameras=tuple(rig.camera(name) for name in cameras))
    return Drive(seed=SEED, config=condition_config(condition, config), rig=rig).frame(i)


def images(condition):
    return {name: image.astype(float) for name, image in frame(condition)[0].images.items()}


def noise(image):
    """Pixel noise std, from neighbour differences in the smooth sky of the top rows."""
    return np.diff(image[:12], axis=1).std() / np.sqrt(2)


def test_day_is_the_default_world():
    assert condition_config("day") == WorldConfig()
    assert condition_config("day", SHORT) == SHORT
    (day, day_truth), (default, default_truth) = frame("day"), Drive(seed=SEED, config=SHORT).frame(
        FRAME
    )
    for name in default.images:
        np.testing.assert_array_equal(day.images[name], default.images[name])
    np.testing.assert_array_equal(day.lidar, default.lidar)
    np.testing.assert_array_equal(day.radar, default.radar)
    np.testing.assert_array_equal(day_truth.boxes, default_truth.boxes)


@pytest.mark.parametrize("condition", CONDITIONS)
def test_each_condition_is_deterministic_per_seed(condition):
    assert_frames_equal(
        *(Drive(seed=SEED, config=condition_config(condition, SHORT)).frame(3) for _ in range(2)))


def test_less_light_gives_darker_flatter_noisier_images():
    day, dusk, night = images("day"), images("dusk"), images("night")
    for name in day:
        assert night[name].mean() < dusk[name].mean() < 0.6 * day[name].mean()
        assert night[name].std() < dusk[name].std() < 0.6 * day[name].std()
        assert noise(day[name]) < 0.8 * noise(dusk[name]) < 0.8 * noise(night[name])


def test_headlights_light_the_road_ahead_at_night():
    def road_below(image):
        return image[-20:, 60:100].mean()

    day, night = images("day"), images("night")
    assert road_below(night["front"]) > 2 * road_below(night["rear"])
    assert road_below(day["front"]) == pytest.approx(road_below(day["rear"]), rel=0.1)


def test_tunnels_swing_the_brightness_within_one_drive():
    drive = WorldConfig(duration_s=10.0, **SKETCHY_LIDAR)

    def brightness(condition):
        return np.array([frame(condition, i, drive, ("front",))[0].images["front"].mean()
                         for i in range(0, 100, 5)])

    day, tunnel = brightness("day"), brightness("tunnel")
    assert tunnel.std() > 5 * day.std()
    assert tunnel.min() < 0.4 * day.mean() and tunnel.max() > 0.9 * day.mean()


def test_a_low_sun_brightens_the_top_of_the_front_camera_only():
    day, sun = images("day"), images("low_sun")
    top = slice(0, day["front"].shape[0] // 2)
    assert sun["front"][top].mean() > day["front"][top].mean() + 2
    for name in ("left", "right", "rear"):
        assert abs(sun[name].mean() - day[name].mean()) < 0.05


def test_traffic_density():
    def objects(condition):
        config = replace(SHORT, **SKETCHY_LIDAR)
        return sum(len(frame(condition, i, config, ())[1].boxes) for i in (0, 5, 9))

    assert objects("empty") < 0.7 * objects("day") < 0.7 * objects("dense")


def test_rain_wets_the_road_loses_lidar_ground_returns_and_adds_spray():
    def ground_returns(points):
        return np.sum(points[:, 2] < -1.8)  # the LiDAR is 1.9 m up

    def spray_like(points):
        """Weak returns above the ground a few metres out: where spray lands."""
        distance = np.linalg.norm(points[:, :2], axis=1)
        return np.sum((distance > SPRAY_RANGE_M[0]) & (distance < SPRAY_RANGE_M[1])
                      & (points[:, 2] > -1.8) & (points[:, 3] < 0.09))

    day, rain = frame("day")[0].lidar, frame("rain")[0].lidar
    assert ground_returns(rain) < 0.8 * ground_returns(day)
    assert spray_like(rain) >= spray_like(day) + 10
    road = slice(-20, None), slice(60, 100)
    assert images("rain")["front"][road].mean() < 0.7 * images("day")["front"][road].mean()


def test_rain_makes_the_radar_noisier():
    """Same returns, same draws: each height error grows by the rain's noise scale (1.5)."""
    day, rain = frame("day")[0].radar, frame("rain")[0].radar
    np.testing.assert_array_equal(rain[:, 3], day[:, 3])  # the RCS draws are untouched
    extra = rain[:, 2] - day[:, 2]
    assert extra.std() == pytest.approx(0.5 * HEIGHT_NOISE, rel=0.3)


def test_clutter_adds_static_radar_returns():
    def returns(condition):
        config = replace(SHORT, **SKETCHY_LIDAR)
        return sum(len(frame(condition, i, config, ())[0].radar) for i in (0, 5, 9))

    assert returns("clutter") > 1.5 * returns("day")


def test_conditions_compose_and_unknown_ones_are_refused():
    rainy_night = condition_config("rain", condition_config("night"))
    assert rainy_night.light == pytest.approx(condition_config("night").light * 0.8)
    assert rainy_night.wetness == condition_config("rain").wetness
    with pytest.raises(ValueError) as error:
        condition_config("hail")
    assert all(name in str(error.value) for name in CONDITIONS)
