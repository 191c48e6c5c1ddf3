"""Channel blocks at a fusion point: the conv after a ``cat`` runs each stream over its own
channels and gives what the dense conv gives."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from decomposition_nets import DTYPE, Fn
from torch import nn

from lmd_ros.decomposition import Slice, decompose


def bevs() -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(5)
    return tuple(torch.randn(1, c, 6, 6, generator=generator, dtype=DTYPE) for c in (5, 2, 3))


def test_the_fused_conv_on_channel_blocks_equals_the_dense_one():
    torch.manual_seed(0)
    conv = nn.Conv2d(10, 4, 3, padding=1).to(DTYPE)
    blocked = Fn(lambda *x: F.gelu(conv(torch.cat(x, 1))))
    dense = Fn(lambda *x: F.gelu(conv(torch.cat(x, 1) * 1.0)))  # the product drops the blocks
    modalities = {"camera": 0, "radar": 1, "lidar": 2}
    for explicit in (False, True):
        a = decompose(blocked, modalities, *bevs(), explicit_bias=explicit)
        b = decompose(dense, modalities, *bevs(), explicit_bias=explicit)
        for name in (*modalities, "bias"):
            torch.testing.assert_close(a.streams[name], b.streams[name], rtol=1e-13, atol=1e-14)


def test_slices_along_the_channels_are_blocks_too():
    torch.manual_seed(0)
    conv = nn.Conv2d(10, 4, 1, bias=False).to(DTYPE)
    x = torch.cat(bevs(), 1)
    d = decompose(Fn(conv), {"camera": Slice(0, 0, 5), "rest": Slice(0, 5, 10)}, x,
                  explicit_bias=True)
    weight = conv.weight
    torch.testing.assert_close(d.streams["camera"], F.conv2d(x[:, :5], weight[:, :5]),
                               rtol=1e-14, atol=1e-15)
    torch.testing.assert_close(d.streams["rest"], F.conv2d(x[:, 5:], weight[:, 5:]),
                               rtol=1e-14, atol=1e-15)
