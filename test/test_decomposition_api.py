"""The public API around the rules: errors, registration, start point, captured layers, how
modalities are named, in-place ops, dtypes and linearizations that cannot apply."""

from __future__ import annotations

import gc
import weakref

import pytest
import torch
import torch.nn.functional as F
from decomposition_nets import DTYPE, Fn, make_simple_bev
from torch import nn
from torch.overrides import handle_torch_function, has_torch_function_unary

from lmd_ros.decomposition import (
    UnsupportedOpError,
    decompose,
    linearize,
    register_rule,
)


class Outer(nn.Module):
    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(x)


def inputs(*shape: int, count: int = 2) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(0)
    return tuple(torch.randn(*shape, generator=generator, dtype=DTYPE) for _ in range(count))


def total(d) -> torch.Tensor:
    return sum(d.streams.values())


def test_an_op_without_a_rule_names_itself_its_module_and_the_fix():
    model = Outer(Fn(lambda x: torch.frac(x)))
    with pytest.raises(UnsupportedOpError) as error:
        decompose(model, {"x": 0}, *inputs(4, count=1))
    message = str(error.value)
    assert "torch.frac" in message
    assert "'inner'" in message
    assert "register_rule(torch.frac" in message


def test_ops_on_constants_alone_need_no_rule():
    model = Fn(lambda x: x + torch.frac(torch.ones(4, dtype=DTYPE)))
    x, = inputs(4, count=1)
    d = decompose(model, {"x": 0}, x)
    torch.testing.assert_close(d.streams["x"], x)


def test_a_registered_rule_decomposes_an_op_it_did_not_know():
    def shifted(x: torch.Tensor) -> torch.Tensor:  # a function torch-function modes can see
        if has_torch_function_unary(x):
            return handle_torch_function(shifted, (x,), x)
        return torch.roll(x, 1, -1) + 1.0

    model = Fn(lambda x, y: shifted(x + y))
    x, y = inputs(3, 4)
    with pytest.raises(UnsupportedOpError, match="shifted"):
        decompose(model, {"x": 0, "y": 1}, x, y)
    register_rule(shifted, lambda op: op.add_bias(op.single()[1].map(
        lambda rows: torch.roll(rows, 1, -1)), torch.ones((), dtype=DTYPE)))
    d = decompose(model, {"x": 0, "y": 1}, x, y, explicit_bias=True)
    torch.testing.assert_close(d.streams["x"], torch.roll(x, 1, -1))
    torch.testing.assert_close(d.streams["bias"], torch.ones_like(x))


def test_a_custom_autograd_function_is_one_op_unsupported_until_it_gets_a_rule():
    class Doubled(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x: torch.Tensor) -> torch.Tensor:
            return torch.frac(x) * 0 + 2 * x  # frac has no rule

        @staticmethod
        def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
            return 2 * grad

    model = Fn(lambda x, y: Doubled.apply(x + y))
    x, y = inputs(5)
    with pytest.raises(UnsupportedOpError, match=r"Function Doubled .*declare_transparent"):
        decompose(model, {"x": 0, "y": 1}, x, y)
    register_rule(Doubled, lambda op: op.single()[1].map(lambda rows: 2 * rows))
    d = decompose(model, {"x": 0, "y": 1}, x, y)
    torch.testing.assert_close(d.streams["x"], 2 * x)
    torch.testing.assert_close(Doubled.apply(x), 2 * x)  # unchanged outside a decomposition


def test_start_at_decomposes_the_arguments_of_that_module_on():
    model, (images, radar), modalities = make_simple_bev()
    at_fusion = decompose(model, modalities, images, radar, start_at="decoder")
    captured = {}
    model.decoder.register_forward_pre_hook(lambda m, args: captured.update(bevs=args))
    plain = model(images, radar)
    direct = decompose(model.decoder, modalities, *captured["bevs"])
    from_inputs = decompose(model, modalities, images, radar)
    for name in ("camera", "radar", "bias"):
        torch.testing.assert_close(at_fusion.streams[name], direct.streams[name])
    assert torch.equal(at_fusion.reference["boxes"], plain["boxes"])
    camera_gap = at_fusion.streams["camera"]["boxes"] - from_inputs.streams["camera"]["boxes"]
    assert camera_gap.abs().max() > 1e-3  # the encoder's biases count as camera from the start


class Fusion(nn.Module):
    """Per-modality encoders, then ``head`` called on their outputs by name."""

    def __init__(self) -> None:
        super().__init__()
        self.camera = nn.Conv1d(2, 3, 1)
        self.head = Head()

    def forward(self, images: torch.Tensor, radar: torch.Tensor) -> torch.Tensor:
        return self.head(F.relu(self.camera(images)), radar=radar)


class Head(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.Conv1d(3, 3, 1)

    def forward(self, camera: torch.Tensor, radar: torch.Tensor) -> torch.Tensor:
        return self.layer(camera + radar)


def test_at_the_fusion_point_the_encoder_output_counts_wholly_as_its_modality():
    torch.manual_seed(0)
    model = Fusion().to(DTYPE)
    images, radar = torch.randn(1, 2, 5, dtype=DTYPE), torch.randn(1, 3, 5, dtype=DTYPE)
    by_index = decompose(model, {"camera": 0, "radar": "radar"}, images, radar, start_at="head")
    by_name = decompose(model, {"camera": "camera", "radar": "radar"}, images, radar,
                        start_at="head")
    layer = model.head.layer
    expected_camera = layer(F.relu(model.camera(images))) - layer.bias[:, None]
    for d in (by_index, by_name):
        torch.testing.assert_close(d.streams["camera"], expected_camera)
        torch.testing.assert_close(d.streams["bias"], layer.bias[:, None].expand(1, 3, 5))


def test_modalities_by_keyword_and_grouped_in_a_list():
    model = Fn(lambda x, y, z=None: x + 2 * y + 3 * z)
    x, y, z = inputs(4, count=3)
    d = decompose(model, {"xy": [0, 1], "z": "z"}, x, y, z=z)
    torch.testing.assert_close(d.streams["xy"], x + 2 * y)
    torch.testing.assert_close(d.streams["z"], 3 * z)
    with pytest.raises(ValueError, match="'w'"):
        decompose(model, {"w": "w"}, x, y, z=z)


def test_a_start_module_that_never_runs_is_an_error():
    model = Outer(Fn(lambda x: 2 * x))
    model.unused = nn.Linear(2, 2)
    x, = inputs(2, count=1)
    with pytest.raises(ValueError, match="never ran"):
        decompose(model, {"x": 0}, x, start_at="unused")
    with pytest.raises(ValueError, match="no module"):
        decompose(model, {"x": 0}, x, start_at="nowhere")


def test_captured_layers_are_decomposed_at_every_call():
    shared = nn.Linear(4, 4).to(DTYPE)
    model = Outer(Fn(lambda x: shared(F.relu(shared(x)))))
    model.shared = shared
    x, y = inputs(2, 4)
    d = decompose(model, {"x": 0}, x + y, capture=["shared", "inner"])
    assert set(d.layers) == {"shared", "shared#1", "inner"}
    first = d.layers["shared"]
    torch.testing.assert_close(first.reference, shared(x + y))
    torch.testing.assert_close(first.streams["x"], shared(x + y) - shared.bias)
    torch.testing.assert_close(d.layers["inner"].reference, d.reference)
    torch.testing.assert_close(sum(d.layers["shared#1"].streams.values()), d.reference)


def test_in_place_ops_give_the_plain_reference_and_complete_streams():
    def forward(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = x * 1.0
        h += y
        F.relu(h, inplace=True)
        h[:, 0] = y[:, 1]
        h.clamp_(max=0.8)
        return h

    x, y = inputs(3, 4)
    d = decompose(Fn(forward), {"x": 0, "y": 1}, x, y)
    assert torch.equal(d.reference, forward(x, y))
    torch.testing.assert_close(total(d), d.reference, rtol=1e-12, atol=1e-12)


def test_a_write_through_a_view_makes_the_base_unusable_instead_of_wrong():
    def forward(x: torch.Tensor) -> torch.Tensor:
        bev = torch.zeros(2, 4, dtype=DTYPE)
        bev.view(8)[:4].add_(x)  # writes x into a view of bev
        return bev.sum()

    with pytest.raises(RuntimeError, match="written in place through"):
        decompose(Fn(forward), {"x": 0}, *inputs(4, count=1))


@pytest.mark.parametrize(("dtype", "tolerance"), [(torch.float32, 1e-5), (torch.bfloat16, 3e-2)])
def test_lower_precision_sums_within_its_documented_tolerance(dtype, tolerance):
    model, (images, radar), modalities = make_simple_bev()
    model, images, radar = model.to(dtype), images.to(dtype), radar.to(dtype)
    d = decompose(model, modalities, images, radar)
    explicit = decompose(model, modalities, images, radar, explicit_bias=True)
    for result in (d, explicit):
        for key, reference in result.reference.items():
            gap = sum(s[key].double() for s in result.streams.values()) - reference.double()
            assert gap.abs().max() <= tolerance * reference.double().abs().max()
            assert result.streams["camera"][key].dtype == dtype


def test_inference_mode_gives_the_same_decomposition_as_no_grad():
    model, model_inputs, modalities = make_simple_bev()
    d = decompose(model, modalities, *model_inputs)
    with torch.inference_mode():
        fast = decompose(model, modalities, *(t.clone() for t in model_inputs))
    for name in d.streams:
        for key in d.reference:
            assert torch.equal(fast.streams[name][key], d.streams[name][key])


def test_control_flow_on_masks_is_frozen_and_on_python_numbers_is_refused():
    def on_mask(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return (F.relu(x) if (x + y).sum() > 0 else -x) + y  # a mask: a switch, frozen

    def on_number(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return (F.relu(x) if (x + y).sum().item() > 0 else -x) + y  # a Python float

    x, y = inputs(6)
    frozen = linearize(Fn(on_mask), {"x": 0, "y": 1}, x.abs(), y.abs())
    torch.testing.assert_close(frozen(-x.abs(), -y.abs()).streams["x"], -x.abs())
    refused = linearize(Fn(on_number), {"x": 0, "y": 1}, x.abs(), y.abs())
    with pytest.raises(RuntimeError, match="another path"):
        refused(-x.abs(), -y.abs())


def test_modality_inputs_must_be_distinct_floating_point_tensors():
    model = Fn(lambda x, y: x + y)
    x, = inputs(3, count=1)
    with pytest.raises(ValueError, match="two modalities"):
        decompose(model, {"a": 0, "b": 1}, x, x)
    with pytest.raises(ValueError, match="floating-point"):
        decompose(model, {"a": 0, "b": 1}, x, torch.arange(3))


def test_streams_die_with_their_tensors_so_memory_does_not_grow_with_depth():
    first_streams: list[weakref.ref] = []
    alive_at_the_end: list[bool] = []

    def probe(x: torch.Tensor) -> torch.Tensor:  # identity; its rule looks at the streams
        if has_torch_function_unary(x):
            return handle_torch_function(probe, (x,), x)
        return x.clone()

    def look(op):
        streams = op.single()[1]
        if first_streams:
            gc.collect()
            alive_at_the_end.append(first_streams[0]() is not None)
        else:
            first_streams.append(weakref.ref(streams.values))
        return streams.map(torch.clone)

    register_rule(probe, look)
    layers = nn.ModuleList(nn.Linear(4, 4) for _ in range(30)).to(DTYPE)

    def forward(x: torch.Tensor) -> torch.Tensor:
        x = probe(torch.tanh(x))
        for layer in layers:
            x = F.relu(layer(x))
        return probe(x)

    decompose(Fn(forward), {"x": 0}, *inputs(2, 4, count=1))
    assert alive_at_the_end == [False]
