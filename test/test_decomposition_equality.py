"""Completeness: the streams sum to the reference (float64, 1e-10 relative), for every rule, for
random stacks of rules and for whole fusion architectures; the reference is the plain forward."""

from __future__ import annotations

import pytest
import torch
from decomposition_layers import LAYERS, two_modality_net
from decomposition_nets import ARCHITECTURES
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils._pytree import tree_leaves

from lmd_ros.decomposition import decompose, linearize

TOLERANCE = 1e-10


def relative_gap(decomposition, reference) -> float:
    """max |Σ streams − reference| / max |reference|, over all output tensors (an all-zero
    reference, e.g. a ReLU that closes every unit, divides by the smallest normal instead)."""
    streams = [tree_leaves(s) for s in decomposition.streams.values()]
    gaps = [(sum(parts) - ref).abs().max() / ref.abs().max().clamp_min(torch.finfo(ref.dtype).tiny)
            for ref, *parts in zip(tree_leaves(reference), *streams, strict=True)]
    return max(gaps).item()


def assert_complete(model, inputs, modalities) -> None:
    plain = model(*inputs)
    derived = decompose(model, modalities, *inputs)
    explicit = decompose(model, modalities, *inputs, explicit_bias=True)
    for d in (derived, explicit):
        assert all(torch.equal(a, b) for a, b in zip(tree_leaves(d.reference), tree_leaves(plain),
                                                     strict=True))
        assert relative_gap(d, plain) < TOLERANCE
    assert set(derived.streams) == {*modalities, "bias"}
    for name in derived.streams:
        for a, b in zip(tree_leaves(derived.streams[name]), tree_leaves(explicit.streams[name]),
                        strict=True):
            torch.testing.assert_close(a, b, rtol=0, atol=TOLERANCE * plain_scale(plain))


def plain_scale(reference) -> float:
    return max(t.abs().max().item() for t in tree_leaves(reference))


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_every_rule_sums_to_the_reference(kind):
    model, inputs = two_modality_net([kind], seed=0)
    assert_complete(model, inputs, {"a": 0, "b": 1})


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_a_linearization_replayed_at_its_own_input_is_the_decomposition(kind):
    model, inputs = two_modality_net([kind, "conv"], seed=1)
    modalities = {"a": 0, "b": 1}
    lin = linearize(model, modalities, *inputs)
    replayed = lin(*inputs)
    plain = model(*inputs)
    assert relative_gap(replayed, plain) < TOLERANCE
    for name, stream in lin.at.streams.items():
        torch.testing.assert_close(replayed.streams[name], stream, rtol=0,
                                   atol=TOLERANCE * plain_scale(plain))


@settings(max_examples=25, deadline=None)
@given(kinds=st.lists(st.sampled_from(sorted(LAYERS)), min_size=2, max_size=5),
       seed=st.integers(0, 2**16))
def test_random_stacks_of_rules_sum_to_the_reference(kinds, seed):
    model, inputs = two_modality_net(kinds, seed)
    assert_complete(model, inputs, {"a": 0, "b": 1})


@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
def test_whole_architectures_sum_to_the_reference(architecture):
    model, inputs, modalities = ARCHITECTURES[architecture]()
    assert_complete(model, inputs, modalities)
