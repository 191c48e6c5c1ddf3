"""Exact modality Shapley: hand-computed games, and agreement with Captum's ShapleyValues."""

import pytest
import torch
from captum.attr import ShapleyValues

from lmd_ros.evaluation.shapley import coalition_inputs, modality_shapley, shapley_values


def test_two_player_game_by_hand():
    # v(∅) = 0, v{0} = 1, v{1} = 2, v{0,1} = 5:
    # φ0 = ½ (1 − 0) + ½ (5 − 2) = 2, φ1 = ½ (2 − 0) + ½ (5 − 1) = 3
    table = {frozenset(): 0.0, frozenset({0}): 1.0, frozenset({1}): 2.0, frozenset({0, 1}): 5.0}
    phis = shapley_values(lambda s: {"v": torch.tensor(table[s])}, 2)
    assert [float(phi["v"]) for phi in phis] == pytest.approx([2.0, 3.0])


def test_three_player_game_by_hand():
    # v(S) = 1 if player 0 and one other are in S: φ0 = 4/6, φ1 = φ2 = 1/6
    phis = shapley_values(lambda s: {"v": torch.tensor(float(0 in s and len(s) >= 2))}, 3)
    assert [float(phi["v"]) for phi in phis] == pytest.approx([4 / 6, 1 / 6, 1 / 6])


def test_absent_modalities_are_zeros():
    inputs = [torch.ones(2), torch.full((3,), 2.0)]
    kept = coalition_inputs(inputs, frozenset({1}))
    assert torch.equal(kept[0], torch.zeros(2)) and kept[1] is inputs[1]


def _interacting(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """A (1, 4) map in which all three inputs interact nonlinearly."""
    return torch.tanh(a * b + c) * (1 + torch.relu(c - a).sum(1, keepdim=True)) + b.mean()


def test_matches_captum_shapley_values_with_one_group_per_modality():
    torch.manual_seed(0)
    inputs = (torch.randn(1, 4), torch.randn(1, 4), torch.randn(1, 4))
    ours = modality_shapley(lambda *x: {"map": _interacting(*x)}, inputs)
    masks = tuple(torch.full((1, 4), i) for i in range(3))
    theirs = ShapleyValues(_interacting).attribute(inputs, feature_mask=masks)
    for phi, attribution in zip(ours, theirs, strict=True):
        # Captum's multi-output attribution: (*output shape, *input shape[1:]), one value per
        # group, so any input element of the group holds the modality's value.
        assert attribution.shape == (1, 4, 4)
        assert torch.allclose(attribution[..., 0], phi["map"], atol=1e-6)
        assert torch.equal(attribution[..., 0], attribution[..., 3])
    total = sum(phi["map"] for phi in ours)
    assert torch.allclose(total, _interacting(*inputs) - _interacting(*map(torch.zeros_like,
                                                                           inputs)), atol=1e-6)
