"""Pictures: the BEV picture is oriented forward-up/left-left and annotated; overlays land on the
object."""

import numpy as np
import pytest

from lmd_ros.adapters import BEVGrid, Detection
from lmd_ros.monitor.attribution import FrameAttribution
from lmd_ros.monitor.bev_picture import (
    GRID_COLOUR,
    bev_picture,
    evidence_brightness,
    with_legend,
)
from lmd_ros.monitor.render import MODALITY_COLOURS, camera_overlay, mix_colour
from lmd_ros.world import default_rig

MODALITIES = ("camera", "radar", "lidar")


GRID = BEVGrid(x_range=(-10.0, 10.0), y_range=(-10.0, 10.0), resolution=1.0)


def _result(evidence: np.ndarray, detections=(), shares=None) -> FrameAttribution:
    n = len(detections)
    return FrameAttribution(
        stamp=0.0, modalities=MODALITIES, detections=list(detections), logits=np.zeros(n),
        contributions=np.zeros((n, 4)), shares=np.zeros((n, 3)) if shares is None else shares,
        evidence=evidence, present=dict.fromkeys(MODALITIES, True),
        dependencies=np.zeros((n, 3), bool))


def test_brightness_shares_one_scale_with_a_gamma_so_weak_evidence_stays_visible():
    evidence = np.zeros((3, 20, 20))
    evidence[2, 19, 10:] = 1.0
    evidence[0, 0, 0] = 0.04  # 4 % of the peak: nearly black on a linear scale
    brightness = evidence_brightness(evidence)
    assert brightness[2, 19, 10] == 1.0
    assert brightness[0, 0, 0] == pytest.approx(0.2), "gamma 0.5: 0.04 -> 0.2"
    assert brightness[0, 0, 0] < brightness[2, 19, 10], "a weaker modality still looks weaker"
    assert not evidence_brightness(np.zeros((3, 4, 4))).any()


def test_bev_picture_is_forward_up_left_left_with_ego_grid_boxes_and_a_legend():
    evidence = np.zeros((3, 20, 20))
    evidence[2, 19, 10:] = 1.0  # LiDAR at max x (forward), left half (y > 0)
    ahead = Detection(x=6.0, y=-5.0, z=0.8, l=4.0, w=2.0, h=1.6, yaw=0.0, class_id=1,
                      score=0.9, output=("heatmap", 0, 0, 0, 0))
    picture = bev_picture(_result(evidence, [ahead], np.array([[1.0, 0.0, 0.0]])), GRID,
                          ("vehicle", "pedestrian"))
    scale = 512 // 20
    assert picture.shape[1] == 20 * scale and picture.shape[0] > 20 * scale, "legend below"
    assert tuple(picture[scale // 2, scale // 2]) == MODALITY_COLOURS["lidar"], "top left"
    assert tuple(picture[scale // 2, -scale // 2]) == (0, 0, 0)
    ego = picture[10 * scale - 3 * scale:10 * scale + 3 * scale, 9 * scale:11 * scale]
    assert (ego == 255).all(axis=2).any(), "the ego vehicle is drawn at the centre"
    box_row, box_col = round((10 - 6.0 - 2.0) * scale), round((10 + 5.0) * scale)
    box = picture[box_row - 2:box_row + 3, box_col - 2 * scale:box_col + 2 * scale]
    assert (box == MODALITY_COLOURS["camera"]).all(axis=2).any(), "a camera-only box, in orange"
    legend = picture[20 * scale:]
    for modality in MODALITIES:
        assert (legend == MODALITY_COLOURS[modality]).all(axis=2).any(), modality
    grid_row = picture[round(10 * scale), :]
    assert (grid_row == GRID_COLOUR).all(axis=1).sum() > 10 * scale, "the x = 0 grid line"


def test_mix_colour_weights_the_palette():
    assert mix_colour([1.0, 0.0, 0.0], MODALITIES) == MODALITY_COLOURS["camera"]
    assert mix_colour([0.0, 0.0, 0.0], MODALITIES) == (128, 128, 128)
    half = mix_colour([0.5, 0.0, 0.5], MODALITIES)
    expected = (np.array(MODALITY_COLOURS["camera"]) + MODALITY_COLOURS["lidar"]) / 2
    np.testing.assert_allclose(half, expected, atol=0.5)


def test_camera_overlay_draws_the_box_where_it_projects():
    front = default_rig().camera("front")
    image = np.zeros((front.height, front.width, 3), np.uint8)
    ahead = Detection(x=12.0, y=0.0, z=0.8, l=4.5, w=1.9, h=1.6, yaw=0.0, class_id=0,
                      score=0.9, output=("heatmap", 0, 0, 0, 0))
    behind = Detection(x=-12.0, y=0.0, z=0.8, l=4.5, w=1.9, h=1.6, yaw=0.0, class_id=0,
                       score=0.9, output=("heatmap", 0, 0, 0, 0))
    shares = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    overlay = camera_overlay(image, front, [ahead, behind], shares, MODALITIES)
    painted = np.argwhere(overlay.any(axis=2))
    assert len(painted) > 20
    centre_u = front.K[0, 2]
    assert abs(painted[:, 1].mean() - centre_u) < 10
    colours = {tuple(c) for c in overlay[overlay.any(axis=2)]}
    assert colours == {MODALITY_COLOURS["lidar"]}, "the box behind the camera must not be drawn"
    assert not image.any(), "the input image must not be modified"


def test_with_legend_enlarges_the_picture_and_names_every_modality_colour():
    picture = np.zeros((10, 40, 3), np.uint8)
    picture[0, 0] = (1, 2, 3)
    captioned = with_legend(picture, MODALITIES, ["a note"], scale=4)
    assert captioned.shape[1] == 160 and captioned.shape[0] > 40
    assert (captioned[:4, :4] == (1, 2, 3)).all() and not captioned[4:40, 4:].any()
    legend = captioned[40:]
    for modality in MODALITIES:
        assert (legend == MODALITY_COLOURS[modality]).all(axis=2).sum() >= 50, modality
