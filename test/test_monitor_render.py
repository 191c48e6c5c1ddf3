"""Pictures: the BEV composite is oriented forward-up/left-left; overlays land on the object."""

import numpy as np

from lmd_ros.adapters import Detection
from lmd_ros.monitor.render import MODALITY_COLOURS, bev_composite, camera_overlay, mix_colour
from lmd_ros.world import default_rig

MODALITIES = ("camera", "radar", "lidar")


def test_bev_composite_puts_forward_left_at_the_top_left_on_one_scale():
    evidence = np.zeros((3, 20, 20))
    evidence[2, 19, 10:] = 1.0  # LiDAR evidence at max x (forward), left half
    evidence[0, 0, 0] = 0.5  # weaker camera evidence behind and to the right
    image = bev_composite(evidence, MODALITIES, scale=2)
    assert image.shape == (40, 40, 3) and image.dtype == np.uint8
    assert tuple(image[0, 0]) == MODALITY_COLOURS["lidar"]
    assert tuple(image[0, -1]) == (0, 0, 0)
    half_camera = (np.array(MODALITY_COLOURS["camera"]) * 0.5).astype(np.uint8)
    np.testing.assert_array_equal(image[-1, -1], half_camera)
    assert image[20, 20].sum() == 0


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
