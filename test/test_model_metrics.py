"""The held-out scores mean what the evaluation table says they mean."""

from __future__ import annotations

import numpy as np
import pytest

from lmd_ros.model.metrics import average_precision, bev_iou

TRUTHS = [np.array([[10.0, 0.0], [20.0, 5.0]]), np.zeros((0, 2))]


def test_perfect_detections_score_one():
    detections = [np.array([[0.9, 10.5, 0.5], [0.8, 19.0, 5.0]]), np.zeros((0, 3))]
    assert average_precision(detections, TRUTHS) == pytest.approx(1.0)


def test_matching_needs_the_centre_within_two_metres_and_each_truth_once():
    far = [np.array([[0.9, 12.5, 0.0]]), np.zeros((0, 3))]
    assert average_precision(far, TRUTHS) == 0.0
    duplicate = [np.array([[0.9, 10.0, 0.0], [0.8, 10.1, 0.0]]), np.zeros((0, 3))]
    assert average_precision(duplicate, TRUTHS) == pytest.approx(51 / 101)  # recall stops at 0.5


def test_a_confident_false_positive_costs_precision():
    detections = [np.array([[0.8, 10.0, 0.0], [0.7, 20.0, 5.0]]), np.array([[0.95, 1.0, 1.0]])]
    # ranked: FP, TP, TP -> precision 1/2 up to recall 0.5, then 2/3 -> envelope 2/3 everywhere
    assert average_precision(detections, TRUTHS) == pytest.approx(2 / 3)


def test_no_truths_gives_nan_and_no_detections_gives_zero():
    assert np.isnan(average_precision([np.zeros((0, 3))], [np.zeros((0, 2))]))
    assert average_precision([np.zeros((0, 3)), np.zeros((0, 3))], TRUTHS) == 0.0


def test_bev_iou_pools_cells():
    predicted = np.array([[True, True], [False, False]])
    truth = np.array([[True, False], [True, False]])
    assert bev_iou(predicted, truth) == pytest.approx(1 / 3)
