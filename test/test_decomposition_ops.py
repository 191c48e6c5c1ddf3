"""The elementwise functions, norms and reshuffles real models use: float64 exactness (explicit
bias) and, for the linear ones, every stream through the op."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from decomposition_nets import DTYPE, Fn

from lmd_ros.decomposition import UnsupportedOpError, decompose

ELEMENTWISE = {
    "pow": lambda h: torch.pow(h, 3),
    "__pow__": lambda h: h ** 2,
    "__rpow__": lambda h: 2.0 ** h,
    "pow_": lambda h: h.clone().pow_(3),
    "sqrt": lambda h: (h * h + 0.1).sqrt(),
    "rsqrt": lambda h: torch.rsqrt(h * h + 0.1),
    "exp": torch.exp,
    "log": lambda h: torch.log(h * h + 0.1),
    "reciprocal": lambda h: torch.reciprocal(h + 10),
    "abs": torch.abs,
    "erf": torch.erf,
    "special.erf": torch.special.erf,
}
NORMS = {
    "torch.norm": lambda h: torch.norm(h, dim=-1, keepdim=True),
    "Tensor.norm p=1": lambda h: h.norm(1, -1),
    "Tensor.norm all": lambda h: h.norm(),
    "vector_norm p=3": lambda h: torch.linalg.vector_norm(h, 3, dim=(0, 1)),
    "vector_norm p=inf": lambda h: torch.linalg.vector_norm(h, float("inf"), dim=-1),
    "linalg.norm": lambda h: torch.linalg.norm(h, dim=-1),
    "F.normalize": lambda h: F.normalize(h, dim=-1),
}
MASK = torch.tensor([[True, False, True, False, False]]).expand(3, 5)
LINEAR = {
    "cumsum": lambda h: h.cumsum(-1),
    "flip": lambda h: torch.flip(h, (0, 1)),
    "roll": lambda h: h.roll(2, -1),
    "repeat_interleave": lambda h: h.repeat_interleave(torch.tensor([1, 2, 0]), dim=0),
    "masked_fill": lambda h: h.masked_fill(MASK, 0.0),
    "where": lambda h: torch.where(h > 0, h, 2 * h),  # the mask comes from the decomposed h
    "einsum": lambda h: torch.einsum("ij,kj->ik", h, torch.ones(4, 5, dtype=DTYPE)),
}


def pair() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(2)
    return tuple(torch.randn(3, 5, generator=generator, dtype=DTYPE) for _ in range(2))


def relative_gap(d) -> float:
    return float((sum(d.streams.values()) - d.reference).abs().max() / d.reference.abs().max())


@pytest.mark.parametrize("name", [*ELEMENTWISE, *NORMS, *LINEAR])
def test_the_streams_sum_to_the_output_in_float64_with_the_bias_pushed(name):
    fn = {**ELEMENTWISE, **NORMS, **LINEAR}[name]
    x, y = pair()
    model = Fn(lambda a, b: fn(a + b))
    d = decompose(model, {"x": 0, "y": 1}, x, y, explicit_bias=True)
    assert torch.equal(d.reference, fn(x + y))
    assert relative_gap(d) < 1e-14


@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_an_elementwise_function_scales_every_stream_by_one_slope(name):
    x, y = pair()
    d = decompose(Fn(lambda a, b: ELEMENTWISE[name](a + b)), {"x": 0, "y": 1}, x, y)
    ratio_x, ratio_y = d.streams["x"] / x, d.streams["y"] / y
    torch.testing.assert_close(ratio_x, ratio_y, rtol=1e-12, atol=1e-12)


def test_a_norm_splits_along_the_direction_at_the_reference():
    x, y = pair()
    d = decompose(Fn(lambda a, b: (a + b).norm(dim=-1)), {"x": 0, "y": 1}, x, y)
    direction = (x + y) / (x + y).norm(dim=-1, keepdim=True)
    torch.testing.assert_close(d.streams["x"], (direction * x).sum(-1), rtol=1e-14, atol=0)
    normalized = decompose(Fn(lambda a, b: F.normalize(a + b, dim=-1)), {"x": 0, "y": 1}, x, y)
    torch.testing.assert_close(normalized.streams["y"], y / (x + y).norm(dim=-1, keepdim=True),
                               rtol=1e-14, atol=0)


def test_matrix_norms_and_non_norms_are_refused():
    x, y = pair()
    for fn in (lambda h: torch.linalg.norm(h, 2), lambda h: torch.linalg.vector_norm(h, 0)):
        with pytest.raises(UnsupportedOpError, match="norm"):
            decompose(Fn(lambda a, b, fn=fn: fn(a + b)), {"x": 0, "y": 1}, x, y)


@pytest.mark.parametrize("name", list(LINEAR))
def test_a_linear_reshuffle_takes_every_stream_through_it(name):
    x, y = pair()
    fn = LINEAR[name]
    d = decompose(Fn(lambda a, b: fn(a + b)), {"x": 0, "y": 1}, x, y)
    frozen_mask = {"where": lambda h: torch.where(x + y > 0, h, 2 * h)}  # mask at the reference
    expected = frozen_mask.get(name, lambda h: fn(h) - fn(torch.zeros_like(h)))(x)
    torch.testing.assert_close(d.streams["x"], expected, rtol=1e-14, atol=1e-15)
