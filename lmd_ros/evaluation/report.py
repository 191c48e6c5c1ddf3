"""Markdown for the paper-style tables: our numbers (mean ± std) with the paper's beneath them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from lmd_ros.evaluation.cost import Costs
from lmd_ros.evaluation.metrics import mean_std
from lmd_ros.evaluation.perturbation import PerturbationScores
from lmd_ros.evaluation.tables import MethodSpec, PaperTable, column, model_key

STATISTICS = {"pearson": ("Pearson r", ".2f"), "mse": ("MSE", ".3g")}
MIB = 2**20


@dataclass
class ModelResults:
    """One checkpoint's perturbation scores, per method specification."""

    name: str
    modalities: tuple[str, ...]
    scores: dict[MethodSpec, PerturbationScores]


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|---" * len(header) + "|",
            *("| " + " | ".join(row) + " |" for row in rows)]


def summary_cell(values: Sequence[float], fmt: str) -> str:
    mean, std = mean_std(values)
    return "n/a" if math.isnan(mean) else f"{mean:{fmt}} ± {std:{fmt}}"


def perturbation_table(table: PaperTable, results: ModelResults, statistic: str) -> list[str]:
    """Rows: the table's methods, then the paper's rows for this model (Pearson only)."""
    modalities = results.modalities
    pairs = [(p, q) for p in modalities for q in modalities]
    fmt = STATISTICS[statistic][1]
    rows = [[label, *(summary_cell(getattr(results.scores[spec], statistic)[pair], fmt)
                      for pair in pairs)]
            for label, spec in table.rows.items()]
    paper = table.paper.get(model_key(modalities), {}) if statistic == "pearson" else {}
    rows += [[f"*paper:* {label}", *(f"{paper[label][column(*pair)]:.2f}"
                                     if column(*pair) in paper[label] else "" for pair in pairs)]
             for label in table.rows if label in paper]
    return markdown_table(["method", *(column(*pair) for pair in pairs)], rows)


def cost_table(costs: Costs) -> list[str]:
    """One row per (case, attribution); ratios to the case's plain forward."""
    rows = []
    for (m, case), by_method in sorted(costs.items()):
        forward = by_method["forward"]
        for method, cost in by_method.items():
            rows.append([f"M = {m}: {case}", method, f"{cost.seconds * 1e3:.1f}",
                         f"{cost.seconds / forward.seconds:.1f}", f"{cost.peak_bytes / MIB:.1f}",
                         f"{cost.peak_bytes / forward.peak_bytes:.1f}"])
    return markdown_table(["modalities", "method", "time (ms)", "time × forward",
                           "peak memory (MiB)", "memory × forward"], rows)
