"""The perturbation protocol (paper, Key Design 3): does only the perturbed modality's stream move?

For sample n the method freezes what it freezes at n's full input; then, for each unrelated
partner n' and each modality P, x_P is replaced by x'_P and every modality Q's output map is
compared before and after: "Pp/Q". Ideal: Pp/P low, Pp/Q = 1 (r) and 0 (MSE) for Q ≠ P.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch

from lmd_ros.evaluation.metrics import mse, pearson
from lmd_ros.evaluation.samples import FusionInputs
from lmd_ros.evaluation.shapley import Outputs

Attribution = Callable[[Sequence[torch.Tensor]], dict[str, Outputs]]
"""Inputs -> each modality's map of every output (its stream, or its attribution)."""
Method = Callable[[FusionInputs], Attribution]
"""Freezes at a reference input whatever the method freezes there; attributes any input after."""

Pair = tuple[str, str]
"""(perturbed modality P, observed modality Q)."""


@dataclass
class PerturbationScores:
    """Pearson r and MSE per (P, Q): one value per sample and partner."""

    pearson: dict[Pair, list[float]] = field(default_factory=lambda: defaultdict(list))
    mse: dict[Pair, list[float]] = field(default_factory=lambda: defaultdict(list))


@torch.no_grad()
def perturbation_scores(method: Method, samples: Sequence[FusionInputs],
                        partner_lists: Sequence[Sequence[int]], modalities: Sequence[str],
                        output: str) -> PerturbationScores:
    """Scores of ``method`` on the ``output`` map (e.g. "segmentation" logits) of every sample."""
    scores = PerturbationScores()
    for sample, partner_ids in zip(samples, partner_lists, strict=True):
        attribute = method(sample)
        before = attribute(sample)
        for partner in partner_ids:
            for p, perturbed in enumerate(modalities):
                inputs = list(sample)
                inputs[p] = samples[partner][p]
                after = attribute(inputs)
                for observed in modalities:
                    a, b = before[observed][output], after[observed][output]
                    scores.pearson[perturbed, observed].append(pearson(a, b))
                    scores.mse[perturbed, observed].append(mse(a, b))
    return scores
