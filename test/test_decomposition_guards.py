"""Never a silent wrong answer: values leaving torch, custom ops and autograd Functions, another
path under a linearization, random draws, and streams that vanish or drown in the bias."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from decomposition_nets import DTYPE, Fn
from torch import nn

from lmd_ros.decomposition import (
    RANDOM_OP,
    ZERO_STREAM,
    UnsupportedOpError,
    as_switch,
    declare_transparent,
    decompose,
    linearize,
    register_rule,
    secant,
)


def pair(*shape: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    return tuple(torch.randn(*shape, generator=generator, dtype=DTYPE) for _ in range(2))


class Named(nn.Module):
    def __init__(self, fn) -> None:
        super().__init__()
        self.inner = Fn(fn)

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.inner(*inputs)


EXCURSIONS = {
    "numpy": lambda h: torch.from_numpy(np.tanh(h.numpy())),
    "cpu().numpy": lambda h: torch.from_numpy(np.tanh(h.cpu().numpy())),
    "__array__": lambda h: torch.from_numpy(np.tanh(np.asarray(h))),
    "tolist": lambda h: torch.tensor(h.tolist(), dtype=DTYPE),
    "__dlpack__": lambda h: torch.from_dlpack(h.__dlpack__()).clone(),
    "data_ptr": lambda h: h + h.data_ptr() * 0,
}


@pytest.mark.parametrize("name", list(EXCURSIONS))
def test_a_decomposed_tensor_leaving_torch_raises_naming_the_call_and_the_module(name):
    model = Named(lambda x, y: EXCURSIONS[name](x + y) + y)
    with pytest.raises(UnsupportedOpError) as error:
        decompose(model, {"x": 0, "y": 1}, *pair(4))
    message = str(error.value)
    assert name.split(".")[-1].split("(")[0] in message
    assert "'inner'" in message and "as_switch" in message and "register_rule" in message


def test_reading_values_for_control_flow_stays_allowed_and_as_switch_is_the_way_out():
    def forward(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = x + y
        order = torch.from_numpy(np.argsort(as_switch(h).numpy()))  # indices: a switch
        scale = 2.0 if h.sum().item() > 0 and bool(h[0] > -100) else 3.0
        return scale * h[order]

    x, y = pair(6)
    d = decompose(Fn(forward), {"x": 0, "y": 1}, x, y)
    order = torch.argsort(x + y)
    scale = 2.0 if (x + y).sum() > 0 else 3.0
    torch.testing.assert_close(d.streams["x"], scale * x[order], rtol=0, atol=0)
    torch.testing.assert_close(d.streams["y"], scale * y[order], rtol=0, atol=0)


@torch.library.custom_op("lmd_test::numpy_tanh", mutates_args=())
def numpy_tanh(x: torch.Tensor) -> torch.Tensor:
    return torch.from_numpy(np.asarray(np.tanh(x.numpy())))


def test_a_custom_op_without_a_rule_raises_and_with_secant_decomposes():
    model = Named(lambda x, y: numpy_tanh(x + y))
    x, y = pair(5)
    with pytest.raises(UnsupportedOpError, match=r"numpy_tanh.*'inner'.*custom op.*register_rule"):
        decompose(model, {"x": 0, "y": 1}, x, y)
    register_rule(torch.ops.lmd_test.numpy_tanh.default, secant)
    d = decompose(model, {"x": 0, "y": 1}, x, y, explicit_bias=True)
    torch.testing.assert_close(sum(d.streams.values()), torch.tanh(x + y), rtol=1e-13, atol=0)
    slope = torch.tanh(x + y) / (x + y)
    torch.testing.assert_close(d.streams["x"], slope * x, rtol=1e-13, atol=0)


class SwishImplementation(torch.autograd.Function):
    """efficientnet_pytorch's memory-efficient swish."""

    @staticmethod
    def forward(ctx, i: torch.Tensor) -> torch.Tensor:
        result = i * torch.sigmoid(i)
        ctx.save_for_backward(i)
        return result

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:
        i, = ctx.saved_tensors
        s = torch.sigmoid(i)
        return grad_output * (s * (1 + i * (1 - s)))


class MemoryEfficientSwish(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return SwishImplementation.apply(x)


def test_an_autograd_function_registered_as_secant_splits_like_the_activation_it_is():
    torch.manual_seed(0)
    conv = nn.Conv1d(4, 4, 1).to(DTYPE)
    x, y = (t.reshape(1, 4, 3) for t in pair(12))
    with pytest.raises(UnsupportedOpError, match="Function SwishImplementation"):
        decompose(Fn(lambda a, b: MemoryEfficientSwish()(conv(a + b))), {"x": 0, "y": 1}, x, y)
    register_rule(SwishImplementation, secant)
    stem = Fn(lambda a, b: conv(a + b))
    swish = decompose(Fn(lambda a, b: MemoryEfficientSwish()(stem(a, b))), {"x": 0, "y": 1}, x, y)
    silu = decompose(Fn(lambda a, b: nn.SiLU()(stem(a, b))), {"x": 0, "y": 1}, x, y)
    for name in ("x", "y", "bias"):
        torch.testing.assert_close(swish.streams[name], silu.streams[name], rtol=1e-13, atol=1e-15)


def test_a_transparent_autograd_function_is_traced_through():
    class Plain(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x: torch.Tensor) -> torch.Tensor:
            return 3 * F.relu(x)

    model = Fn(lambda x, y: Plain.apply(x + y))
    x, y = pair(7)
    with pytest.raises(UnsupportedOpError, match="Function Plain"):
        decompose(model, {"x": 0, "y": 1}, x, y)
    declare_transparent(Plain)
    d = decompose(model, {"x": 0, "y": 1}, x, y)
    torch.testing.assert_close(d.streams["x"], 3 * (x + y > 0) * x, rtol=0, atol=0)
    assert torch.equal(Plain.apply(x), 3 * F.relu(x))  # unchanged outside a decomposition


def test_a_linearization_fails_at_the_first_op_that_differs_from_the_recording():
    linear = nn.Linear(4, 4).to(DTYPE)

    def forward(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = linear(x + y)
        return F.relu(h[:, :2] if x.shape[0] > 1 else h)  # another path for a batch of 2

    x, y = pair(1, 4)
    lin = linearize(Named(forward), {"x": 0, "y": 1}, x, y)
    torch.testing.assert_close(sum(lin(x, y).streams.values()), forward(x, y))
    with pytest.raises(RuntimeError, match=r"another path.*op #0 is torch.Tensor.add -> "
                       r"\[\[2, 4\]\] in module 'inner' where torch.Tensor.add -> \[\[1, 4\]\]"):
        lin(torch.cat([x, x]), torch.cat([y, y]))


def test_a_linearization_replays_random_draws_and_both_report_them():
    def forward(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        keep = torch.multinomial(torch.ones(x.shape[-1], dtype=DTYPE), 3)  # ViLT's sampling
        return F.relu((x + y)[..., keep])

    x, y = pair(2, 8)
    d = decompose(Fn(forward), {"x": 0, "y": 1}, x, y)
    assert [w.kind for w in d.warnings] == [RANDOM_OP]
    assert "multinomial" in d.warnings[0].message
    lin = linearize(Fn(forward), {"x": 0, "y": 1}, x, y)
    for _ in range(3):
        again = lin(x, y)
        torch.testing.assert_close(again.reference, lin.at.reference, rtol=1e-14, atol=0)
    assert [w.kind for w in again.warnings] == [RANDOM_OP]


def test_dropout_in_training_mode_is_reported_on_constants_and_refused_on_streams():
    x, y = pair(6)
    noise = torch.ones(6, dtype=DTYPE)
    d = decompose(Fn(lambda a, b: a + b + F.dropout(noise, 0.5, training=True)),
                  {"x": 0, "y": 1}, x, y)
    assert [w.kind for w in d.warnings] == [RANDOM_OP] and "dropout" in d.warnings[0].message
    assert decompose(Fn(lambda a, b: F.dropout(a + b, 0.5, training=False)), {"x": 0, "y": 1},
                     x, y).warnings == []
    with pytest.raises(UnsupportedOpError, match=r"model\.eval"):
        decompose(Fn(lambda a, b: F.dropout(a + b, 0.5, training=True)), {"x": 0, "y": 1}, x, y)


def test_a_stream_that_vanishes_although_its_input_did_not_is_flagged():
    d = decompose(Fn(lambda x, y: {"a": x + 0 * y + 5, "b": x * y}), {"x": 0, "y": 1}, *pair(6))
    assert [(w.kind, w.modality, w.output) for w in d.warnings] == [(ZERO_STREAM, "y", "a")]
    assert d.zero_streams == d.warnings
    x = pair(6)[0]
    bias = 5 * 6 / (x.abs().sum() + 5 * 6)
    assert d.bias_fraction["a"] == pytest.approx(float(bias), rel=1e-12)
    assert d.bias_fraction["b"] < 1e-12
    silent = decompose(Fn(lambda x, y: x + 0 * y), {"x": 0, "y": 1}, x, torch.zeros(6, dtype=DTYPE))
    assert silent.warnings == []  # a zero input gives a zero stream: nothing to flag
