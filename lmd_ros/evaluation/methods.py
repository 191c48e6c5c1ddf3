"""The attribution methods the perturbation protocol compares, as hashable specifications.

A specification, given the head and its modality names, builds a ``Method``: what it freezes at
the reference input and how it attributes any input after. Equal specifications are equal
experiments, so a row shared by several tables is run once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from lmd_ros.decomposition import decompose, linearize
from lmd_ros.evaluation.perturbation import Attribution, Method
from lmd_ros.evaluation.samples import FusionInputs
from lmd_ros.evaluation.shapley import coalition_inputs, modality_shapley, shapley_values


@dataclass(frozen=True)
class LMD:
    """LMD with the switch kinds ``activations`` / ``normalizations`` frozen at the reference
    (off: recomputed on every input, the paper's ablations) and the BN / LN offset rules."""

    activations: bool = True
    normalizations: bool = True
    bn_rule: str = "identity"
    norm_rule: str = "ratio"

    def __call__(self, head: nn.Module, modalities: Sequence[str]) -> Method:
        indices = _indices(modalities)

        def freeze(reference: FusionInputs) -> Attribution:
            linearized = linearize(head, indices, *reference, activations=self.activations,
                                   normalizations=self.normalizations, bn_rule=self.bn_rule,
                                   norm_rule=self.norm_rule)
            return lambda inputs: linearized(*inputs).streams

        return freeze


@dataclass(frozen=True)
class ModalityShapley:
    """Exact modality Shapley values; nothing to freeze: every input is attributed afresh."""

    def __call__(self, head: nn.Module, modalities: Sequence[str]) -> Method:
        return lambda reference: lambda inputs: dict(
            zip(modalities, modality_shapley(head, inputs), strict=True))


@dataclass(frozen=True)
class LMDShapley:
    """LMD + SHAP, our reading of "decomposition followed by attribution": each modality keeps its
    LMD stream (switches frozen at the reference) and receives its Shapley share of the bias
    stream, whose coalition values are the bias streams of LMD run on the coalition's input
    (absent modalities zero, switches of that input). The bias holds the offsets and the
    interactions the linearization folded in; the shares sum to F(x) − F(0), as SHAP's do."""

    def __call__(self, head: nn.Module, modalities: Sequence[str]) -> Method:
        indices = _indices(modalities)
        lmd = LMD()(head, modalities)

        def bias_share(inputs: Sequence[torch.Tensor]) -> list[dict[str, torch.Tensor]]:
            return shapley_values(
                lambda coalition: decompose(head, indices,
                                            *coalition_inputs(inputs, coalition)).streams["bias"],
                len(modalities))

        def freeze(reference: FusionInputs) -> Attribution:
            streams_of = lmd(reference)

            def attribute(inputs: Sequence[torch.Tensor]) -> dict[str, dict[str, torch.Tensor]]:
                streams = streams_of(inputs)
                return {m: {key: streams[m][key] + share[key] for key in share}
                        for m, share in zip(modalities, bias_share(inputs), strict=True)}

            return attribute

        return freeze


def _indices(modalities: Sequence[str]) -> dict[str, int]:
    return {m: i for i, m in enumerate(modalities)}
