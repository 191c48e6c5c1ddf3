"""BEV occupancy: rows are ego x (forward), columns ego y (left), both counted from the minimum."""

import numpy as np

from lmd_ros.sensors import GroundTruth
from lmd_ros.world import CLASS_NAMES, bev_occupancy

VEHICLE, PEDESTRIAN = CLASS_NAMES.index("vehicle"), CLASS_NAMES.index("pedestrian")


def truth(boxes, classes):
    boxes = np.array(boxes, dtype=float)
    return GroundTruth(boxes, np.array(classes), np.zeros((len(boxes), 2)))


def cell(x, y, x_min=-24.0, y_min=-24.0, resolution=0.75):
    return int((x - x_min) // resolution), int((y - y_min) // resolution)


def test_axis_convention_with_a_box_placed_by_hand():
    """A 4 m long, 1 m wide car 10 m ahead and 6 m to the right, pointing forward."""
    occ = bev_occupancy(truth([[10.0, -6.0, 0.8, 4.0, 1.0, 1.6, 0.0]], [VEHICLE]))
    assert occ.shape == (len(CLASS_NAMES), 64, 64) and occ.dtype == np.float32
    assert set(np.unique(occ)) <= {0.0, 1.0}
    rows, cols = np.nonzero(occ[VEHICLE])
    assert occ[VEHICLE][cell(10.0, -6.0)] == 1
    assert occ[VEHICLE][cell(-6.0, 10.0)] == 0
    centres = -24.0 + (np.arange(64) + 0.5) * 0.75
    assert set(rows) == set(np.flatnonzero((centres >= 8.0) & (centres <= 12.0)))
    assert set(cols) == set(np.flatnonzero((centres >= -6.5) & (centres <= -5.5)))
    assert np.ptp(rows) > np.ptp(cols)
    assert occ[PEDESTRIAN].sum() == 0


def test_yaw_turns_the_footprint():
    occ = bev_occupancy(truth([[0.0, 0.0, 0.8, 4.0, 1.0, 1.6, np.pi / 2]], [VEHICLE]))
    rows, cols = np.nonzero(occ[VEHICLE])
    assert np.ptp(cols) > np.ptp(rows)


def test_small_pedestrian_marks_its_cell_and_outside_boxes_are_ignored():
    boxes = [[3.1, 2.2, 0.9, 0.3, 0.3, 1.8, 0.0], [30.0, 0.0, 0.8, 4.0, 2.0, 1.6, 0.0]]
    occ = bev_occupancy(truth(boxes, [PEDESTRIAN, VEHICLE]))
    assert occ[PEDESTRIAN].sum() == 1 and occ[PEDESTRIAN][cell(3.1, 2.2)] == 1
    assert occ[VEHICLE].sum() == 0


def test_custom_grid_size():
    occ = bev_occupancy(truth([], []), x_range=(0.0, 40.0), y_range=(-10.0, 10.0), resolution=0.5)
    assert occ.shape == (2, 80, 40) and occ.sum() == 0
