"""Separation: under frozen switches a stream depends on its own modality only; an absent
modality has a zero stream; a network without nonlinearities decomposes by superposition."""

from __future__ import annotations

import pytest
import torch
from decomposition_layers import LAYERS, two_modality_net
from decomposition_nets import ARCHITECTURES, DTYPE
from torch import nn
from torch.utils._pytree import tree_leaves

from lmd_ros.decomposition import decompose, linearize


def streams_of(decomposition, name: str) -> list[torch.Tensor]:
    return tree_leaves(decomposition.streams[name])


def perturbed(inputs: tuple[torch.Tensor, ...], index: int) -> tuple[torch.Tensor, ...]:
    """The inputs with one replaced by an unrelated tensor of the same shape and range."""
    generator = torch.Generator().manual_seed(99)
    partner = torch.rand(inputs[index].shape, generator=generator, dtype=DTYPE) * 2 - 1
    return (*inputs[:index], partner, *inputs[index + 1:])


def assert_separated(model, inputs, modalities) -> None:
    lin = linearize(model, modalities, *inputs)
    before = lin(*inputs)
    for p, (name, index) in enumerate(modalities.items()):
        after = lin(*perturbed(inputs, index))
        assert not all(torch.equal(a, b) for a, b in zip(streams_of(before, name),
                                                         streams_of(after, name), strict=True))
        for other in [*modalities, "bias"]:
            if other != name:
                assert all(torch.equal(a, b) for a, b in zip(
                    streams_of(before, other), streams_of(after, other), strict=True)), (p, other)


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_every_rule_keeps_the_streams_apart_under_frozen_switches(kind):
    model, inputs = two_modality_net([kind, "conv"], seed=2)
    assert_separated(model, inputs, {"a": 0, "b": 1})


@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
def test_whole_architectures_keep_the_streams_apart(architecture):
    model, inputs, modalities = ARCHITECTURES[architecture]()
    assert_separated(model, inputs, modalities)


@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
def test_a_modality_with_zero_input_has_a_zero_stream(architecture):
    model, inputs, modalities = ARCHITECTURES[architecture]()
    name, index = next(iter(modalities.items()))
    silent = (*inputs[:index], torch.zeros_like(inputs[index]), *inputs[index + 1:])
    for explicit in (False, True):
        d = decompose(model, modalities, *silent, explicit_bias=explicit)
        assert all(torch.count_nonzero(s) == 0 for s in streams_of(d, name))
        assert any(torch.count_nonzero(s) > 0 for s in streams_of(d, "bias"))


class LinearFusion(nn.Module):
    """Affine layers only: convs with biases, BatchNorm, pooling, resampling, a skip, padding."""

    def __init__(self) -> None:
        super().__init__()
        self.camera = nn.Conv2d(3, 4, 3, padding=1)
        self.radar = nn.Conv2d(2, 4, 1)
        self.norm = nn.BatchNorm2d(8)
        self.mix = nn.Conv2d(8, 4, 3, padding=1)
        self.out = nn.Linear(4, 3)

    def forward(self, camera: torch.Tensor, radar: torch.Tensor) -> torch.Tensor:
        x = self.norm(torch.cat([self.camera(camera), self.radar(radar)], 1))
        x = self.mix(torch.nn.functional.pad(x, (1, 1, 1, 1), value=0.25))
        x = torch.nn.functional.interpolate(torch.nn.functional.avg_pool2d(x, 2), scale_factor=2)
        return self.out(x.movedim(1, -1)) + 0.5 * x.mean((1, 2, 3))[:, None, None, None]


def test_without_nonlinearities_a_stream_is_the_output_of_its_modality_alone():
    torch.manual_seed(0)
    model = LinearFusion().eval().to(DTYPE)
    model.norm.running_mean.uniform_(-1, 1)
    model.norm.running_var.uniform_(0.5, 2)
    camera, radar = torch.randn(2, 3, 6, 6, dtype=DTYPE), torch.randn(2, 2, 6, 6, dtype=DTYPE)
    d = decompose(model, {"camera": 0, "radar": 1}, camera, radar)
    f_zero = model(torch.zeros_like(camera), torch.zeros_like(radar))
    expected = {"camera": model(camera, torch.zeros_like(radar)) - f_zero,
                "radar": model(torch.zeros_like(camera), radar) - f_zero, "bias": f_zero}
    for name, stream in expected.items():
        torch.testing.assert_close(d.streams[name], stream, rtol=1e-12, atol=1e-12)
