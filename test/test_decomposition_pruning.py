"""``outputs=``: only the selected leaves are decomposed, and from the second call on the ops that
cannot reach them push no streams; a changed path is caught and redone in full."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from decomposition_nets import DTYPE, Fn, make_simple_bev
from torch import nn
from torch.overrides import handle_torch_function, has_torch_function_unary

from lmd_ros.decomposition import decompose, linearize, register_rule

CALLS: list[str] = []


def counted(x: torch.Tensor) -> torch.Tensor:
    """The identity, whose rule counts how often it pushes streams."""
    if has_torch_function_unary(x):
        return handle_torch_function(counted, (x,), x)
    return x.clone()


register_rule(counted, lambda op: (CALLS.append("counted"), op.single()[1].map(torch.clone))[1])


class ThreeHeads(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.trunk = nn.Linear(4, 4)
        self.heads = nn.ModuleDict({k: nn.Linear(4, 2) for k in ("heatmap", "regression",
                                                                  "segmentation")})

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> dict[str, torch.Tensor]:
        x = F.relu(self.trunk(a + b))
        out = {k: head(x) for k, head in self.heads.items()}
        out["regression"] = counted(out["regression"])
        return out


def ab() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(4)
    return tuple(torch.randn(3, 4, generator=generator, dtype=DTYPE) for _ in range(2))


def test_selected_outputs_are_decomposed_as_in_full_and_the_rest_is_skipped():
    model = ThreeHeads().to(DTYPE)
    a, b = ab()
    full = decompose(model, {"a": 0, "b": 1}, a, b)
    selected = ("heatmap", "segmentation")
    CALLS.clear()
    first = decompose(model, {"a": 0, "b": 1}, a, b, outputs=selected)  # records the plan
    second = decompose(model, {"a": 0, "b": 1}, a, b, outputs=selected)  # follows it
    assert CALLS == ["counted"]  # the regression head pushed streams only while recording
    for d in (first, second):
        assert set(d.reference) == {"heatmap", "regression", "segmentation"}
        assert torch.equal(d.reference["regression"], full.reference["regression"])
        for name in ("a", "b", "bias"):
            assert d.streams[name]["regression"] is None
            for key in selected:
                assert torch.equal(d.streams[name][key], full.streams[name][key])
        assert set(d.bias_fraction) == set(selected)


def test_a_model_that_takes_another_path_is_redone_in_full():
    heads = ThreeHeads().to(DTYPE)

    def forward(a: torch.Tensor, b: torch.Tensor) -> dict[str, torch.Tensor]:
        out = heads(a, b)
        if a.sum() > 0:  # data-dependent: the heatmap gets one more op
            out["heatmap"] = torch.tanh(out["heatmap"])
        return out

    model = Fn(forward)
    a, b = ab()
    for x in (a.abs(), -a.abs(), a.abs()):
        d = decompose(model, {"a": 0, "b": 1}, x, b, outputs=["heatmap"])
        full = decompose(model, {"a": 0, "b": 1}, x, b)
        assert torch.equal(d.streams["a"]["heatmap"], full.streams["a"]["heatmap"])


def test_pruning_an_architecture_from_the_fusion_point_changes_no_selected_stream():
    model, inputs, modalities = make_simple_bev()
    full = decompose(model, modalities, *inputs, start_at="decoder")
    for _ in range(2):
        pruned = decompose(model, modalities, *inputs, start_at="decoder",
                           outputs=["segmentation"])
        assert pruned.streams["camera"]["boxes"] is None
        assert torch.equal(pruned.streams["radar"]["segmentation"],
                           full.streams["radar"]["segmentation"])


def test_an_output_key_the_model_does_not_return_is_refused():
    with pytest.raises(ValueError, match=r"no top-level keys \['boxes'\]"):
        decompose(ThreeHeads().to(DTYPE), {"a": 0, "b": 1}, *ab(), outputs=["boxes"])


def test_a_linearization_pruned_to_some_outputs_replays_only_what_reaches_them():
    model = ThreeHeads().to(DTYPE)
    a, b = ab()
    full = linearize(model, {"a": 0, "b": 1}, a, b)
    CALLS.clear()
    pruned = linearize(model, {"a": 0, "b": 1}, a, b, outputs=["heatmap"])
    assert CALLS == ["counted"]  # the recording runs in full
    other = (2 * a, b - 1)
    replayed = pruned(*other)
    assert CALLS == ["counted"]  # the replay skipped the regression head
    expected = full(*other)
    for name in ("a", "b", "bias"):
        assert torch.equal(replayed.streams[name]["heatmap"], expected.streams[name]["heatmap"])
        assert replayed.streams[name]["segmentation"] is None
