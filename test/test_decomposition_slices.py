"""``Slice``: parts of one input tensor as modalities, for fusion points inside one tensor."""

from __future__ import annotations

import pytest
import torch
from decomposition_nets import DTYPE, Fn
from torch import nn

from lmd_ros.decomposition import Slice, decompose, linearize


class InlineFusion(nn.Module):
    """SimpleBEV's shape: camera and radar BEV features concatenated inside ``forward`` and
    handed, as one tensor, to ``bev_compressor``."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.camera_encoder = nn.Conv2d(3, 6, 1)
        self.bev_compressor = nn.Sequential(nn.Conv2d(8, 4, 3, padding=1, bias=False),
                                            nn.InstanceNorm2d(4), nn.GELU(), nn.Conv2d(4, 2, 1))

    def forward(self, images: torch.Tensor, radar: torch.Tensor) -> torch.Tensor:
        bev = torch.cat([self.camera_encoder(images), radar], dim=1)
        return self.bev_compressor(bev)


def bev_inputs() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(3)
    return (torch.randn(1, 3, 5, 5, generator=generator, dtype=DTYPE),
            torch.randn(1, 2, 5, 5, generator=generator, dtype=DTYPE))


def test_slices_of_one_tensor_decompose_from_the_fusion_point():
    model = InlineFusion().to(DTYPE).eval()
    images, radar = bev_inputs()
    parts = {"camera": Slice(0, 0, 6), "radar": Slice(0, 6, 8)}
    d = decompose(model, parts, images, radar, start_at="bev_compressor")
    camera = model.camera_encoder(images)
    separate = decompose(Fn(lambda c, r: model.bev_compressor(torch.cat([c, r], 1))),
                         {"camera": 0, "radar": 1}, camera, radar)
    assert torch.equal(d.reference, model(images, radar))
    for name in ("camera", "radar", "bias"):
        torch.testing.assert_close(d.streams[name], separate.streams[name], rtol=1e-14,
                                   atol=1e-15)
    explicit = decompose(model, parts, images, radar, start_at="bev_compressor",
                         explicit_bias=True)
    torch.testing.assert_close(sum(explicit.streams.values()), d.reference, rtol=0, atol=1e-14)


def test_under_frozen_switches_a_slice_moves_only_its_own_stream():
    model = InlineFusion().to(DTYPE).eval()
    images, radar = bev_inputs()
    lin = linearize(model, {"camera": Slice(0, 0, 6), "radar": Slice(0, 6, 8)}, images, radar,
                    start_at="bev_compressor")
    before, after = lin(images, radar), lin(images, radar * 3)
    assert torch.equal(before.streams["camera"], after.streams["camera"])
    assert not torch.equal(before.streams["radar"], after.streams["radar"])


def test_what_no_slice_covers_is_a_constant_in_the_bias():
    x = torch.arange(1.0, 7.0, dtype=DTYPE).reshape(1, 6)
    for explicit in (False, True):
        d = decompose(Fn(lambda t: 2 * t), {"a": Slice(0, 0, 2), "b": Slice(0, 4, 6)}, x,
                      explicit_bias=explicit)
        assert d.streams["a"].tolist() == [[2, 4, 0, 0, 0, 0]]
        assert d.streams["b"].tolist() == [[0, 0, 0, 0, 10, 12]]
        assert d.streams["bias"].tolist() == [[0, 0, 6, 8, 0, 0]]


def test_overlapping_or_misplaced_slices_are_refused():
    x = torch.ones(1, 6, dtype=DTYPE)
    model = Fn(lambda t: t)
    with pytest.raises(ValueError, match="overlap"):
        decompose(model, {"a": Slice(0, 0, 4), "b": Slice(0, 3, 6)}, x)
    with pytest.raises(ValueError, match="does not lie within"):
        decompose(model, {"a": Slice(0, 0, 7)}, x)
    with pytest.raises(ValueError, match="give each modality a Slice"):
        decompose(model, {"a": 0, "b": Slice(0, 0, 3)}, x)
