"""The engine on code nobody here wrote (``decomposition_zoo``): complete in float64 with the bias
pushed as its own stream, streams bit-identically apart under frozen switches, and the guards
(random draws, custom autograd Functions) on these models."""

from __future__ import annotations

import pytest
import torch
from decomposition_zoo import DTYPE, ZOO, make_bert_two_segments, make_vilt
from torch import nn
from torch.utils._pytree import tree_leaves

from lmd_ros.decomposition import RANDOM_OP, Slice, UnsupportedOpError, decompose, linearize


def perturbed(inputs: tuple, selector: int | Slice) -> tuple:
    """The inputs with one modality's part replaced by unrelated values."""
    where = selector.selector if isinstance(selector, Slice) else selector
    new = inputs[where].clone()
    part = new if not isinstance(selector, Slice) else new.narrow(
        selector.dim, selector.start, selector.stop - selector.start)
    part.copy_(torch.rand(part.shape, generator=torch.Generator().manual_seed(9), dtype=DTYPE))
    return (*inputs[:where], new, *inputs[where + 1:])


@pytest.mark.parametrize("name", sorted(ZOO))
def test_the_streams_sum_to_every_output_in_float64_with_the_bias_pushed(name):
    model, inputs, modalities = ZOO[name]()
    d = decompose(model, modalities, *inputs, explicit_bias=True)
    for key, reference in d.reference.items():
        gap = sum(s[key] for s in d.streams.values()) - reference
        assert gap.abs().max() <= 1e-14 * reference.abs().max(), key
    for modality in modalities:  # every modality reaches some output
        assert any(s.abs().max() > 0 for s in d.streams[modality].values()), modality


@pytest.mark.parametrize("name", sorted(ZOO))
def test_a_modality_changed_under_frozen_switches_moves_only_its_own_stream(name):
    model, inputs, modalities = ZOO[name]()
    lin = linearize(model, modalities, *inputs)
    before = lin(*inputs)
    for changed, selector in modalities.items():
        after = lin(*perturbed(inputs, selector))
        for other in [*modalities, "bias"]:
            same = all(torch.equal(a, b) for a, b in zip(
                tree_leaves(before.streams[other]), tree_leaves(after.streams[other]),
                strict=True))
            assert same == (other != changed), (changed, other)


def test_vilt_patch_sampling_is_reported_and_replayed_by_the_linearization():
    model, inputs, modalities = make_vilt()
    d = decompose(model, modalities, *inputs)
    assert [w.kind for w in d.warnings] == [RANDOM_OP]
    lin = linearize(model, modalities, *inputs)
    again = lin(*inputs)
    torch.testing.assert_close(again.reference, lin.at.reference, rtol=1e-13, atol=1e-13)


class BertSwish(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(x)


class BertSwishModule(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return BertSwish.apply(x)


def test_an_unregistered_autograd_function_inside_bert_is_refused_by_name():
    model, inputs, modalities = make_bert_two_segments()
    for layer in model.model.encoder.layer:
        layer.intermediate.intermediate_act_fn = BertSwishModule()
    with pytest.raises(UnsupportedOpError, match=r"Function BertSwish .*'model\.encoder\.layer\.0"):
        decompose(model, modalities, *inputs)
