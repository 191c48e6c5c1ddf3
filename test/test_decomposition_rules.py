"""Each rule and option against its formula, computed by hand on tiny layers (method doc table)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from decomposition_nets import DTYPE, Fn
from torch import nn

from lmd_ros.decomposition import decompose, linearize

MODALITIES = {"a": 0, "b": 1}
ZERO = torch.zeros((), dtype=DTYPE)


def pair(*shape: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(*shape, generator=generator, dtype=DTYPE) for _ in range(2))


def assert_streams(d, expected: dict[str, torch.Tensor], tolerance: float = 1e-12) -> None:
    for name, value in expected.items():
        torch.testing.assert_close(d.streams[name], value.expand_as(d.reference),
                                   rtol=tolerance, atol=tolerance)


def test_relu_scales_each_stream_by_the_activation_mask():
    a, b = pair(5, 7)
    mask = (a + b > 0).to(DTYPE)
    d = decompose(Fn(lambda x, y: F.relu(x + y)), MODALITIES, a, b, explicit_bias=True)
    assert_streams(d, {"a": mask * a, "b": mask * b, "bias": ZERO})


def test_sigmoid_uses_the_secant_slope_and_puts_its_value_at_zero_in_the_bias():
    a, b = pair(5, 7)
    z = a + b
    slope = (torch.sigmoid(z) - 0.5) / z
    d = decompose(Fn(lambda x, y: torch.sigmoid(x + y)), MODALITIES, a, b, explicit_bias=True)
    assert_streams(d, {"a": slope * a, "b": slope * b, "bias": torch.sigmoid(z) - slope * z})
    assert d.streams["bias"].sub(0.5).abs().max() < 1e-12  # φ(0) plus rounding


def test_near_zero_input_the_slope_is_the_derivative_at_zero_within_sqrt_eps():
    a = torch.linspace(-1, 1, 9, dtype=DTYPE)
    for b in (-a, -a + 1e-10):
        d = decompose(Fn(lambda x, y: torch.sigmoid(x + y)), MODALITIES, a, b,
                      explicit_bias=True)
        assert_streams(d, {"a": a / 4, "b": b / 4, "bias": torch.sigmoid(a + b) - (a + b) / 4},
                       tolerance=1e-7)


def _batch_norm() -> nn.BatchNorm1d:
    bn = nn.BatchNorm1d(3).eval().to(DTYPE)
    bn.running_mean.copy_(torch.tensor([0.5, -1.0, 2.0]))
    bn.running_var.copy_(torch.tensor([0.25, 4.0, 1.0]))
    bn.weight.data.copy_(torch.tensor([2.0, 0.5, -1.0]))
    bn.bias.data.copy_(torch.tensor([0.1, 0.2, 0.3]))
    return bn


@pytest.mark.parametrize("bn_rule", ["identity", "uniform"])
def test_batch_norm_scales_the_streams_and_shares_the_shift_by_its_rule(bn_rule):
    bn = _batch_norm()
    a, b = pair(4, 3)
    scale = bn.weight / (bn.running_var + bn.eps).sqrt()
    shift = bn.bias - scale * bn.running_mean
    d = decompose(Fn(lambda x, y: bn(x + y)), MODALITIES, a, b, bn_rule=bn_rule,
                  explicit_bias=True)
    share = {"identity": 0.0, "uniform": 1 / 3}[bn_rule]
    assert_streams(d, {"a": scale * a + share * shift, "b": scale * b + share * shift,
                       "bias": (1 - 2 * share) * shift})


@pytest.mark.parametrize("norm_rule", ["ratio", "identity", "uniform"])
def test_layer_norm_freezes_sigma_and_centres_by_its_rule(norm_rule):
    a, b = pair(3, 6)
    gamma, beta = torch.linspace(0.5, 2, 6, dtype=DTYPE), torch.linspace(-1, 1, 6, dtype=DTYPE)
    z = a + b
    mu = z.mean(-1, keepdim=True)
    sigma = (z.var(-1, keepdim=True, correction=0) + 1e-5).sqrt()
    d = decompose(Fn(lambda x, y: F.layer_norm(x + y, (6,), gamma, beta)), MODALITIES, a, b,
                  norm_rule=norm_rule, explicit_bias=True)
    if norm_rule == "ratio":
        expected = {m: gamma * (h - h.mean(-1, keepdim=True)) / sigma for m, h in (("a", a),
                                                                                 ("b", b))}
        expected["bias"] = beta
    elif norm_rule == "identity":
        expected = {"a": gamma * a / sigma, "b": gamma * b / sigma,
                    "bias": beta - gamma * mu / sigma}
    else:
        expected = {"a": gamma * (a - mu / 3) / sigma, "b": gamma * (b - mu / 3) / sigma,
                    "bias": beta - gamma * mu / 3 / sigma}
    assert_streams(d, expected)


def test_max_pool_gathers_every_stream_at_the_reference_argmax():
    a, b = pair(1, 2, 4, 4)
    _, index = F.max_pool2d(a + b, 2, return_indices=True)

    def gathered(h: torch.Tensor) -> torch.Tensor:
        return h.flatten(2).gather(2, index.flatten(2)).view_as(index)

    d = decompose(Fn(lambda x, y: F.max_pool2d(x + y, 2)), MODALITIES, a, b, explicit_bias=True)
    assert_streams(d, {"a": gathered(a), "b": gathered(b), "bias": ZERO})


def test_a_product_splits_each_cross_term_half_and_half():
    a, b = pair(5)
    d = decompose(Fn(lambda x, y: (x + y) * (x - y)), MODALITIES, a, b, explicit_bias=True)
    assert_streams(d, {"a": a * a, "b": -b * b, "bias": ZERO})


def test_a_decomposed_denominator_is_frozen():
    a, b = pair(5)
    d = decompose(Fn(lambda x, y: (x + 2 * y) / (y.abs() + 1)), MODALITIES, a, b,
                  explicit_bias=True)
    assert_streams(d, {"a": a / (b.abs() + 1), "b": 2 * b / (b.abs() + 1),
                       "bias": ZERO})


def test_attention_freezes_the_softmax_map_and_is_linear_in_the_values():
    a, b = pair(4, 3)
    attention = torch.softmax(b @ b.T, -1)
    d = decompose(Fn(lambda v, k: torch.softmax(k @ k.T, -1) @ (v + 1)), MODALITIES, a, b,
                  explicit_bias=True)
    assert_streams(d, {"a": attention @ a, "b": ZERO,
                       "bias": attention @ torch.ones_like(a)})


def test_unfrozen_activations_are_recomputed_at_the_new_input():
    a, b = pair(5, 7)
    a2, b2 = pair(5, 7, seed=1)
    model = Fn(lambda x, y: F.relu(x + y))
    frozen = linearize(model, MODALITIES, a, b)(a2, b2)
    live = linearize(model, MODALITIES, a, b, activations=False)(a2, b2)
    assert_streams(frozen, {"a": (a + b > 0) * a2, "b": (a + b > 0) * b2})
    assert_streams(live, {"a": (a2 + b2 > 0) * a2, "b": (a2 + b2 > 0) * b2})


def test_unfrozen_normalizations_recompute_sigma_at_the_new_input():
    a, b = pair(3, 6)
    a2, b2 = pair(3, 6, seed=1)

    def sigma(z: torch.Tensor) -> torch.Tensor:
        return (z.var(-1, keepdim=True, correction=0) + 1e-5).sqrt()

    model = Fn(lambda x, y: F.layer_norm(x + y, (6,)))
    frozen = linearize(model, MODALITIES, a, b)(a2, b2)
    live = linearize(model, MODALITIES, a, b, normalizations=False)(a2, b2)
    centred = a2 - a2.mean(-1, keepdim=True)
    assert_streams(frozen, {"a": centred / sigma(a + b)})
    assert_streams(live, {"a": centred / sigma(a2 + b2)})


def test_a_linearization_is_the_sum_of_its_streams_and_exact_only_where_recorded():
    a, b = pair(5, 7)
    a2, b2 = pair(5, 7, seed=1)
    model = Fn(lambda x, y: F.gelu(F.layer_norm(x * y + y, (7,))) @ torch.ones(7, 2, dtype=DTYPE))
    lin = linearize(model, MODALITIES, a, b)
    moved = lin(a2, b2)
    torch.testing.assert_close(moved.reference, sum(moved.streams.values()), rtol=0, atol=0)
    assert (moved.reference - model(a2, b2)).abs().max() > 1e-3
    torch.testing.assert_close(lin(a, b).reference, model(a, b), rtol=1e-12, atol=1e-12)
    unfrozen = linearize(model, MODALITIES, a, b, activations=False, normalizations=False)
    torch.testing.assert_close(unfrozen(a2, b2).reference, model(a2, b2), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("options", [{"bn_rule": "ratio"}, {"norm_rule": "batch"}])
def test_unknown_rule_options_are_refused(options):
    a, b = pair(3)
    with pytest.raises(ValueError, match="rule"):
        decompose(Fn(lambda x, y: x + y), MODALITIES, a, b, **options)
