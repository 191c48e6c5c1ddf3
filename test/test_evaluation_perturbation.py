"""The perturbation protocol's bookkeeping on a method whose streams are known by hand."""

import math

import pytest
import torch

from lmd_ros.evaluation.perturbation import perturbation_scores

A0, A1 = torch.tensor([1.0, 2.0, 3.0]), torch.tensor([2.0, 4.0, 7.0])
B0, B1 = torch.tensor([0.0, 1.0, 0.0]), torch.tensor([5.0, 1.0, 2.0])


def _identity_streams(reference):
    """Each modality's 'stream' is its own input: perfectly separated, nothing frozen."""
    return lambda inputs: {"a": {"map": inputs[0]}, "b": {"map": inputs[1]}}


def _mixing_streams(reference):
    """Modality a's stream also reads b's input: perturbing b moves it."""
    return lambda inputs: {"a": {"map": inputs[0] * inputs[1]}, "b": {"map": inputs[1]}}


def test_each_perturbation_compares_every_stream_before_and_after():
    scores = perturbation_scores(_identity_streams, [(A0, B0), (A1, B1)], [[1], [0]],
                                 ("a", "b"), "map")
    # a perturbed: sample 0 sees a go A0 -> A1 (r = 15 / √228, MSE 7), sample 1 the reverse
    assert scores.pearson["a", "a"] == pytest.approx([15 / math.sqrt(228)] * 2)
    assert scores.mse["a", "a"] == pytest.approx([7.0, 7.0])
    assert scores.pearson["a", "b"] == [1.0, 1.0] and scores.mse["a", "b"] == [0.0, 0.0]
    assert scores.pearson["b", "a"] == [1.0, 1.0]
    # b perturbed: B0 -> B1: b0 - mean = (-1, 2, -1) / 3, b1 - mean = (7, -5, -2) / 3
    assert scores.pearson["b", "b"] == pytest.approx([-15 / math.sqrt(6 * 78)] * 2)


def test_a_stream_that_reads_another_modality_loses_its_correlation():
    scores = perturbation_scores(_mixing_streams, [(A0, B0), (A1, B1)], [[1], [0]],
                                 ("a", "b"), "map")
    assert all(r < 0.9 for r in scores.pearson["b", "a"])
    assert scores.pearson["a", "b"] == [1.0, 1.0]
