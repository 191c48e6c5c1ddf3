"""Faults: parsed strictly, active only inside their window, and hurting only their sensor."""

import math
from dataclasses import replace
from functools import cache

import numpy as np
import pytest

from lmd_ros.world import FAULT_KINDS, Drive, Fault, WorldConfig, default_rig, parse_fault
from lmd_ros.world.camera import pixel_rays, render
from lmd_ros.world.effects import MISALIGN_OFFSET_M, MISALIGN_YAW_DEG
from lmd_ros.world.rig import rig_to_dict

CONFIG = WorldConfig(duration_s=3.0)
BEFORE, INSIDE, LAST_INSIDE, AFTER = 5, 13, 19, 20  # frames around a fault active over [1 s, 2 s)
MODALITY_OF = {"camera": "images", "lidar": "lidar", "radar": "radar"}


@cache
def clean(i):
    return Drive(seed=11, config=CONFIG).frame(i)[0]


def faulty(text, i):
    return Drive(seed=11, config=CONFIG, faults=[parse_fault(text)]).frame(i)[0]


def same(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    return (a is None and b is None) or (a is not None and b is not None and np.array_equal(a, b))


def hit_sensors(kind):
    return {"images", "lidar"} if kind == "fog" else {MODALITY_OF[kind.split("_")[0]]}


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_each_fault_changes_only_its_sensors_and_only_inside_its_window(kind):
    text = f"{kind}@1:2:0.6"
    for i in (BEFORE, AFTER):
        for field in MODALITY_OF.values():
            assert same(getattr(faulty(text, i), field), getattr(clean(i), field)), (i, field)
    frame = faulty(text, LAST_INSIDE)
    for field in MODALITY_OF.values():
        changed = not same(getattr(frame, field), getattr(clean(LAST_INSIDE), field))
        assert changed == (field in hit_sensors(kind)), field


def contrast(image):
    return image.astype(float).std()


def sharpness(image):
    """Mean absolute second difference: blind to smooth gradients such as the sky's."""
    image = image.astype(float)
    return np.abs(np.diff(image, 2, axis=0)).mean() + np.abs(np.diff(image, 2, axis=1)).mean()


def test_camera_faults_do_what_they_say():
    noiseless = WorldConfig(duration_s=3.0, camera_noise_std=0.0)

    def images(*faults):
        drive = Drive(seed=11, config=noiseless, faults=[parse_fault(f) for f in faults])
        return drive.frame(INSIDE)[0].images

    base = images()
    assert all(not img.any() for img in images("camera_blackout@1:2").values())
    glared = images("camera_glare@1:2")
    assert all(glared[k].mean() > base[k].mean() + 40 for k in base)
    fogged = images("camera_fog@1:2")
    assert all(contrast(fogged[k]) < 0.75 * contrast(base[k]) for k in base)
    blurred = images("camera_blur@1:2")
    assert all(sharpness(blurred[k]) < 0.5 * sharpness(base[k]) for k in base)


def test_a_frozen_camera_repeats_its_image_from_the_onset():
    onset = round(1.0 * CONFIG.rate_hz)
    frozen = [faulty("camera_frozen@1:2", i).images["front"] for i in (onset, INSIDE, LAST_INSIDE)]
    np.testing.assert_array_equal(frozen[0], clean(onset).images["front"])
    for image in frozen[1:]:
        np.testing.assert_array_equal(image, frozen[0])
    assert not np.array_equal(clean(INSIDE).images["front"], clean(onset).images["front"])


def test_a_targeted_camera_fault_hits_that_camera_only():
    images = faulty("camera_blackout[left]@1:2", INSIDE).images
    assert not images["left"].any()
    for name in ("front", "right", "rear"):
        np.testing.assert_array_equal(images[name], clean(INSIDE).images[name])
    silent = faulty("camera_silent[rear]@1:2", INSIDE)
    assert set(silent.images) == {"front", "left", "right"} and silent.present()["camera"]


def test_silent_sensors_send_nothing():
    assert faulty("camera_silent@1:2", INSIDE).present() == {
        "camera": False,
        "radar": True,
        "lidar": True,
    }
    assert faulty("lidar_silent@1:2", INSIDE).lidar is None
    assert faulty("radar_silent@1:2", INSIDE).radar is None


def test_lidar_faults_do_what_they_say():
    points = clean(INSIDE).lidar
    kept = len(faulty("lidar_dropout@1:2:0.5", INSIDE).lidar) / len(points)
    assert 0.45 < kept < 0.55
    limited = faulty("lidar_range_limit@1:2:0.5", INSIDE).lidar
    assert np.linalg.norm(limited[:, :3], axis=1).max() <= 0.6 * CONFIG.lidar_max_range_m + 0.1
    noisy = faulty("lidar_noise@1:2", INSIDE).lidar
    error = np.linalg.norm(noisy[:, :3], axis=1) - np.linalg.norm(points[:, :3], axis=1)
    assert noisy.shape == points.shape and 0.3 < error.std() < 0.7


def test_radar_faults_do_what_they_say():
    returns = clean(INSIDE).radar
    assert len(faulty("radar_dropout@1:2:1", INSIDE).radar) == 0
    haunted = faulty("radar_ghosts@1:2:0.5", INSIDE).radar
    np.testing.assert_array_equal(haunted[: len(returns)], returns)
    assert len(haunted) == len(returns) + 20


def knock(severity):
    """The documented error: a yaw about the vertical and a shift to the car's left (ego +y)."""
    yaw = math.radians(MISALIGN_YAW_DEG * severity)
    c, s = math.cos(yaw), math.sin(yaw)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]), MISALIGN_OFFSET_M * severity


@pytest.mark.parametrize("sensor", ["lidar", "radar"])
def test_a_misaligned_range_sensor_sees_the_world_from_where_it_was_knocked(sensor):
    """Its points are the clean ones, seen from the turned and shifted sensor: a point at p
    (sensor frame, level) appears at R(yaw)^T (p - offset)."""
    drive = Drive(seed=11, config=CONFIG, faults=[parse_fault(f"{sensor}_misaligned@1:2:0.5")])
    cal = getattr(drive.rig, sensor)
    np.testing.assert_array_equal(cal.T_ego_sensor[:3, :3], np.eye(3))
    assert rig_to_dict(drive.rig) == rig_to_dict(default_rig())
    rotation, offset = knock(0.5)
    clean_points = getattr(clean(INSIDE), sensor)
    knocked = getattr(drive.frame(INSIDE)[0], sensor)
    expected = (clean_points[:, :3] - [0.0, offset, 0.0]) @ rotation
    assert knocked.shape == clean_points.shape
    np.testing.assert_allclose(knocked[:, :3], expected, atol=1e-4)
    np.testing.assert_array_equal(knocked[:, 3:], clean_points[:, 3:])
    assert np.abs(knocked[:, :2] - clean_points[:, :2]).max() > 1.0  # far points move metres


def test_a_misaligned_camera_renders_from_its_knocked_pose_and_only_it():
    noiseless = WorldConfig(duration_s=3.0, camera_noise_std=0.0)
    drive = Drive(seed=11, config=noiseless, faults=[parse_fault("camera_misaligned[front]@1:2")])
    assert rig_to_dict(drive.rig) == rig_to_dict(default_rig())
    images = drive.frame(INSIDE)[0].images
    base = Drive(seed=11, config=noiseless).frame(INSIDE)[0].images
    assert [name for name in base if not np.array_equal(images[name], base[name])] == ["front"]

    rotation, offset = knock(1.0)
    cal = drive.rig.camera("front")
    pose = cal.T_ego_camera.copy()
    pose[:3, :3] = rotation @ pose[:3, :3]
    pose[1, 3] += offset
    knocked = replace(cal, T_ego_camera=pose)
    stamp = drive.stamp(INSIDE)
    expected = render(knocked, pixel_rays(knocked), drive.scene.objects_at(stamp),
                      drive.scene.ego_x(stamp)) * 255
    np.testing.assert_allclose(images["front"], expected, atol=0.51)


def test_parse_fault_reads_target_and_severity():
    assert parse_fault("camera_blackout[front]@5:8") == Fault(
        "camera_blackout", 5.0, 8.0, 1.0, "front"
    )
    assert parse_fault(" lidar_dropout@10:20.5:0.25 ") == Fault("lidar_dropout", 10.0, 20.5, 0.25)
    assert parse_fault("lidar_misaligned@2:5:0.5") == Fault("lidar_misaligned", 2.0, 5.0, 0.5)
    assert parse_fault("camera_misaligned[front]@1:2") == Fault(
        "camera_misaligned", 1.0, 2.0, 1.0, "front"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lidar_melt@1:2", "lidar_dropout"),
        ("lidar_dropout", "kind[camera]@start:end"),
        ("lidar_dropout@1", "kind[camera]@start:end"),
        ("lidar_dropout@2:1", "start < end"),
        ("lidar_dropout@1:2:0", "severity"),
        ("lidar_dropout@1:2:1.5", "severity"),
        ("lidar_dropout@1.2.3:4", "bad number"),
        ("lidar_dropout[front]@1:2", "target"),
        ("radar_misaligned[front]@1:2", "target"),
    ],
)
def test_parse_fault_rejects_bad_strings(text, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        parse_fault(text)


def test_unknown_kinds_list_the_valid_ones_and_unknown_cameras_are_refused():
    with pytest.raises(ValueError) as error:
        parse_fault("radar_jam@1:2")
    assert all(kind in str(error.value) for kind in FAULT_KINDS)
    with pytest.raises(ValueError, match="unknown camera"):
        Drive(faults=[parse_fault("camera_glare[roof]@1:2")])
