"""The perturbation metrics against values worked out by hand."""

import math

import pytest
import torch

from lmd_ros.evaluation.metrics import mean_std, mse, pearson

A = torch.tensor([1.0, 2.0, 3.0])
B = torch.tensor([2.0, 4.0, 7.0])


def test_pearson_by_hand():
    # a - ā = (-1, 0, 1), b - b̄ = (-7, -1, 8) / 3: Σ products = 5, Σa² = 2, Σb² = 114 / 9
    assert pearson(A, B) == pytest.approx(5 / math.sqrt(2 * 114 / 9), rel=1e-12)
    # b reversed: b - b̄ = (8, -1, -7) / 3, so Σ products = -5
    assert pearson(A, B.flip(0)) == pytest.approx(-5 / math.sqrt(2 * 114 / 9), rel=1e-12)


def test_pearson_is_taken_over_every_cell_of_a_map():
    a, b = A.repeat(2).reshape(2, 3), B.repeat(2).reshape(2, 3)
    assert pearson(a, b) == pytest.approx(pearson(A, B), rel=1e-12)
    assert pearson(a, b) == pytest.approx(pearson(a.T, b.T), rel=1e-12)


def test_pearson_of_equal_and_opposite_maps():
    assert pearson(B, B) == pytest.approx(1.0, abs=1e-15)
    assert pearson(A, -A) == pytest.approx(-1.0, abs=1e-15)


def test_pearson_of_a_constant_map_is_undefined():
    assert math.isnan(pearson(A, torch.full((3,), 4.0)))


def test_mse_by_hand():
    # (1 - 2)² + (2 - 4)² + (3 - 7)² = 21 over 3 cells
    assert mse(A, B) == pytest.approx(7.0, rel=1e-12)
    assert mse(B, B) == 0.0


def test_maps_of_different_shapes_are_refused():
    with pytest.raises(ValueError, match="shape"):
        pearson(A, torch.zeros(4))


def test_mean_std_leaves_undefined_values_out():
    assert mean_std([1.0, 3.0, math.nan]) == pytest.approx((2.0, 1.0))
    assert all(math.isnan(v) for v in mean_std([math.nan]))
