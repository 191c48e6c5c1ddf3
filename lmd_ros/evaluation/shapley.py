"""Exact Shapley values over modalities: the O(2^M) baseline that LMD is compared with.

Players are modalities, an absent modality is a zero input (the same "sensor silent" input as
``preprocess`` produces), and the value of a coalition is the whole output dict, so one
enumeration attributes every output cell at once:
φ_m = Σ_{S ⊆ M∖m} |S|! (M − |S| − 1)! / M! · (v(S ∪ m) − v(S)).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from math import factorial

import torch

Outputs = dict[str, torch.Tensor]
Coalition = frozenset[int]


def shapley_values(value: Callable[[Coalition], Outputs], players: int) -> list[Outputs]:
    """φ of every player of the game ``value``, which is evaluated once per coalition (2^M)."""
    values = {coalition: value(coalition) for size in range(players + 1)
              for coalition in map(frozenset, itertools.combinations(range(players), size))}
    phis = []
    for player in range(players):
        phi = {key: torch.zeros_like(tensor) for key, tensor in values[frozenset()].items()}
        for coalition, outputs in values.items():
            if player in coalition:
                continue
            size = len(coalition)
            weight = factorial(size) * factorial(players - size - 1) / factorial(players)
            joined = values[coalition | {player}]
            for key in phi:
                phi[key] += weight * (joined[key] - outputs[key])
        phis.append(phi)
    return phis


def coalition_inputs(inputs: Sequence[torch.Tensor], coalition: Coalition
                     ) -> list[torch.Tensor]:
    """The inputs with every modality outside ``coalition`` replaced by zeros (absent)."""
    return [x if i in coalition else torch.zeros_like(x) for i, x in enumerate(inputs)]


def modality_shapley(fn: Callable[..., Outputs], inputs: Sequence[torch.Tensor]
                     ) -> list[Outputs]:
    """φ_m of ``fn(*inputs)`` for every modality m (one positional input each)."""
    return shapley_values(lambda coalition: fn(*coalition_inputs(inputs, coalition)),
                          len(inputs))
