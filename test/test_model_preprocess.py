"""Preprocessing and lifting put every sensor's data where the world says it is."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from lmd_ros.model.camera_fit import camera_fit
from lmd_ros.model.config import ModelConfig
from lmd_ros.model.lifting import CameraLifting, voxel_centres
from lmd_ros.model.preprocess import preprocess
from lmd_ros.sensors import CameraCalibration, GroundTruth, SensorFrame
from lmd_ros.world import bev_occupancy, default_rig
from lmd_ros.world.camera import pixel_rays

CONFIG = ModelConfig()
RIG = default_rig()


def _in_sensor_frame(ego_points: np.ndarray, T_ego_sensor: np.ndarray) -> np.ndarray:
    T_sensor_ego = np.linalg.inv(T_ego_sensor)
    return ego_points @ T_sensor_ego[:3, :3].T + T_sensor_ego[:3, 3]


def _occupied_cell(x: float, y: float) -> tuple[int, int]:
    """The cell the world's occupancy marks for a small box centred at (x, y)."""
    gt = GroundTruth(boxes=np.array([[x, y, 0.5, 0.1, 0.1, 1.0, 0.0]]), classes=np.array([1]),
                     velocities=np.zeros((1, 2)))
    rows, cols = np.nonzero(bev_occupancy(gt, CONFIG.x_range, CONFIG.y_range, CONFIG.resolution)[1])
    return int(rows[0]), int(cols[0])


def test_lidar_point_lands_in_the_cell_the_world_marks_occupied():
    x, y, z = 10.1, -5.2, 1.0
    point = _in_sensor_frame(np.array([[x, y, z]]), RIG.lidar.T_ego_sensor)
    lidar = np.hstack([point, [[0.6]]]).astype(np.float32)
    bev = preprocess([SensorFrame(stamp=0.0, lidar=lidar)], RIG, CONFIG).lidar_bev[0]
    assert _occupied_cell(x, y) == (45, 25)  # x forward -> rows, y left -> columns
    band = 1  # 0.8 m <= z < 1.6 m
    assert torch.nonzero(bev[band]).tolist() == [[45, 25]]
    assert bev[band, 45, 25] == pytest.approx(np.log1p(1) / CONFIG.lidar_log_count_scale)
    assert bev[-1, 45, 25] == pytest.approx(0.6 / CONFIG.lidar_intensity_scale)
    assert torch.count_nonzero(bev) == 2


def test_lidar_ground_returns_and_points_outside_the_grid_are_dropped():
    ego = np.array([[5.0, 5.0, 0.05], [30.0, 0.0, 1.0], [0.0, -24.5, 1.0]])
    lidar = np.hstack([_in_sensor_frame(ego, RIG.lidar.T_ego_sensor), np.ones((3, 1))])
    bev = preprocess([SensorFrame(0.0, lidar=lidar.astype(np.float32))], RIG, CONFIG).lidar_bev
    assert torch.count_nonzero(bev) == 0


def test_radar_points_are_averaged_per_cell():
    x, y = -20.1, 17.9
    ego = np.array([[x, y, 0.5], [x + 0.05, y - 0.05, 0.7]])
    radar = np.hstack([_in_sensor_frame(ego, RIG.radar.T_ego_sensor),
                       [[10.0, -4.0], [20.0, -2.0]]]).astype(np.float32)
    bev = preprocess([SensorFrame(0.0, radar=radar)], RIG, CONFIG).radar_bev[0]
    row, col = _occupied_cell(x, y)
    assert torch.nonzero(bev[0]).tolist() == [[row, col]]
    assert bev[:, row, col].tolist() == pytest.approx([
        1.0, (15.0 - CONFIG.radar_rcs_offset) / CONFIG.radar_rcs_scale,
        -3.0 / CONFIG.radar_velocity_scale])


def test_missing_sensors_become_zeros_and_missing_cameras_are_masked():
    image = np.full((CONFIG.image_height, CONFIG.image_width, 3), 255, np.uint8)
    inputs = preprocess([SensorFrame(0.0, images={"left": image}), SensorFrame(1.0)], RIG, CONFIG)
    assert inputs.camera_valid.tolist() == [[0, 1, 0, 0], [0, 0, 0, 0]]
    assert torch.all(inputs.images[0, 1] > 0)
    assert torch.count_nonzero(inputs.images[0, [0, 2, 3]]) == 0
    assert torch.count_nonzero(inputs.images[1]) == 0
    assert torch.count_nonzero(inputs.radar_bev) == torch.count_nonzero(inputs.lidar_bev) == 0
    assert inputs.projections.shape == (2, 4, 3, 4)


def test_modalities_outside_the_config_are_not_prepared():
    inputs = preprocess([SensorFrame(0.0)], RIG, ModelConfig(modalities=("camera", "radar")))
    assert inputs.lidar_bev is None and inputs.radar_bev is not None


def test_any_camera_count_and_names_run_and_none_or_too_many_are_refused():
    renamed = tuple(dataclasses.replace(c, name=f"cam{k}")
                    for k, c in enumerate(RIG.cameras + RIG.cameras[:2]))
    six = dataclasses.replace(RIG, cameras=renamed)
    inputs = preprocess([SensorFrame(0.0, images={"cam5": np.zeros((96, 160, 3), np.uint8)})],
                        six, CONFIG)
    assert inputs.images.shape[1] == 6
    assert inputs.camera_valid.tolist() == [[0, 0, 0, 0, 0, 1]]
    for cameras in ((), renamed * 3):
        with pytest.raises(ValueError, match="1 to 12 cameras"):
            preprocess([SensorFrame(0.0)], dataclasses.replace(RIG, cameras=cameras), CONFIG)


def _wide_camera(width: int, height: int) -> CameraCalibration:
    """The world's left camera seen by a sensor of another size (same field of view across)."""
    left = RIG.camera("left")
    ratio = width / left.width
    K = np.array([[left.K[0, 0] * ratio, 0, width / 2], [0, left.K[1, 1] * ratio, height / 2],
                  [0, 0, 1]])
    return CameraCalibration("left", width, height, K, left.T_ego_camera)


@pytest.mark.parametrize(("width", "height", "fit"), [
    (1600, 900, "crop"), (1936, 1216, "crop"), (320, 240, "crop"), (1600, 900, "stretch")])
def test_a_known_point_projects_where_it_lands_in_the_fitted_image(width, height, fit):
    """Project a 3-D point with the original calibration, map the pixel through the crop box and
    the resize by hand, and compare with the projection the model uses."""
    camera = _wide_camera(width, height)
    rig = dataclasses.replace(RIG, cameras=(camera,))
    point = np.array([3.0, 9.0, 0.6, 1.0])
    u, v, w = camera.K @ np.linalg.inv(camera.T_ego_camera)[:3] @ point
    u, v = u / w, v / w
    box = camera_fit(camera, CONFIG.image_height, CONFIG.image_width, fit).box
    expected = ((u - box[0]) * CONFIG.image_width / (box[2] - box[0]),
                (v - box[1]) * CONFIG.image_height / (box[3] - box[1]))
    projection = preprocess([SensorFrame(0.0)], rig, CONFIG, fit).projections[0, 0].double()
    pu, pv, pw = projection @ torch.tensor(point)
    assert (float(pu / pw), float(pv / pw)) == pytest.approx(expected, abs=1e-3)
    if fit == "crop":  # square pixels survive the crop
        sx, sy = (CONFIG.image_width / (box[2] - box[0]), CONFIG.image_height / (box[3] - box[1]))
        assert sx == pytest.approx(sy)


def test_a_bright_pixel_lands_where_the_fit_says():
    """The image path agrees with the projection: a white block at (u, v) of a 1600 x 900 image
    is found at the mapped pixel of the fitted image."""
    camera = _wide_camera(1600, 900)
    image = np.zeros((900, 1600, 3), np.uint8)
    image[400:440, 1000:1040] = 255  # centre (1020, 420)
    fit = camera_fit(camera, CONFIG.image_height, CONFIG.image_width)
    fitted = fit.image(image)
    rows, cols = np.nonzero(fitted[..., 0] > 128)
    (x0, y0), (sx, sy) = fit.box[:2], fit.scale
    assert cols.mean() + 0.5 == pytest.approx((1020 - x0) * sx, abs=0.6)
    assert rows.mean() + 0.5 == pytest.approx((420 - y0) * sy, abs=0.6)
    half = fit.image(image[::2, ::2])  # the same camera streamed at half size
    assert np.abs(half.astype(int) - fitted.astype(int)).mean() < 8


def test_an_image_of_another_aspect_than_its_calibration_is_refused():
    with pytest.raises(ValueError, match=r"camera 'front'.*aspect"):
        preprocess([SensorFrame(0.0, images={"front": np.zeros((100, 100, 3), np.uint8)})],
                   RIG, CONFIG)


def test_a_voxel_centre_projects_to_the_pixel_the_world_renders_it_in():
    """Invert the renderer: the ray through pixel (row 30, col 100) of the left camera."""
    cam = RIG.camera("left")
    row, col = 30, 100
    ray = pixel_rays(cam)[row * cam.width + col]
    point = cam.T_ego_camera[:3, 3] + 12.0 * ray
    inputs = preprocess([SensorFrame(0.0)], RIG, CONFIG)
    k = [c.name for c in RIG.cameras].index("left")
    u, v, w = inputs.projections[0, k].double() @ torch.tensor([*point, 1.0], dtype=torch.float64)
    assert (int(v / w), int(u / w)) == (row, col)
    assert float(u / w) == pytest.approx(col + 0.5, abs=1e-3)


def test_lifting_carries_an_image_feature_to_the_voxel_it_sees():
    z_index, cell = 1, (40, 52)  # 6 m ahead, 15 m to the left: only the left camera sees it
    voxel = voxel_centres(CONFIG)[z_index, cell[0], cell[1]]
    inputs = preprocess([SensorFrame(0.0)], RIG, CONFIG)
    k = [c.name for c in RIG.cameras].index("left")
    u, v, w = inputs.projections[0, k].double() @ voxel
    features = torch.zeros(1, len(RIG.cameras), 1, CONFIG.image_height,
                           CONFIG.image_width)
    features[0, k, 0, int(v / w) - 1:int(v / w) + 2, int(u / w) - 1:int(u / w) + 2] = 1.0
    bev = CameraLifting(CONFIG)(features, inputs.projections, torch.ones(1, 4))
    assert bev.shape == (1, len(CONFIG.z_levels), *CONFIG.grid_shape)
    assert bev[0, z_index, cell[0], cell[1]] == pytest.approx(1.0)
    mirrored = CONFIG.grid_shape[1] - 1 - cell[1]
    assert bev[0, z_index, cell[0], mirrored] == 0.0
    masked = CameraLifting(CONFIG)(features, inputs.projections, torch.tensor([[1, 0, 1, 1]]))
    assert torch.count_nonzero(masked) == 0
