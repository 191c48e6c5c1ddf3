"""The paper's Tables 1–3: the methods that form their rows, and the paper's numbers beside them.

Columns are "Pp/Q" (perturbed P, observed Q) with C camera, R radar, L LiDAR. The paper's
numbers are Pearson r on nuScenes (method doc); its LiDAR+camera "Rp/R = 0.09" is read as Lp/L.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lmd_ros.evaluation.methods import LMD, LMDShapley, ModalityShapley

LETTERS = {"camera": "C", "radar": "R", "lidar": "L"}

MethodSpec = LMD | ModalityShapley | LMDShapley
PaperNumbers = dict[str, dict[str, dict[str, float]]]
"""Model key ("CR", "CL", "CRL") -> row label -> column -> the paper's Pearson r."""


@dataclass(frozen=True)
class PaperTable:
    title: str
    why: str
    rows: dict[str, MethodSpec]
    paper: PaperNumbers


def model_key(modalities: Sequence[str]) -> str:
    """"CR" for camera + radar, and so on."""
    return "".join(LETTERS[m] for m in modalities)


def column(perturbed: str, observed: str) -> str:
    return f"{LETTERS[perturbed]}p/{LETTERS[observed]}"


ABLATION = PaperTable(
    title="Table 1 — linearization ablation",
    why="Which switches are frozen at sample n's input; the others are recomputed on the "
        "perturbed input. Baseline: none frozen (each input decomposed at its own switches).",
    rows={
        "baseline (none frozen)": LMD(activations=False, normalizations=False),
        "activations only": LMD(activations=True, normalizations=False),
        "normalizations only": LMD(activations=False, normalizations=True),
        "LMD (both)": LMD(),
    },
    paper={
        "CR": {
            "baseline (none frozen)": {"Rp/R": 0.22, "Rp/C": 0.76, "Cp/R": 0.22, "Cp/C": 0.09},
            "activations only": {"Rp/R": 0.56, "Rp/C": 0.80, "Cp/R": 0.22, "Cp/C": 0.12},
            "normalizations only": {"Rp/R": 0.50, "Rp/C": 0.99, "Cp/R": 0.93, "Cp/C": 0.38},
            "LMD (both)": {"Rp/R": 0.05, "Rp/C": 1.00, "Cp/R": 1.00, "Cp/C": 0.15},
        },
        "CL": {"LMD (both)": {"Lp/L": 0.09, "Cp/C": 0.44}},
    },
)

RULES = PaperTable(
    title="Table 2 — BN–LN offset rules",
    why="All switches frozen; the rule pair that shares BatchNorm's and InstanceNorm's offsets "
        "among the streams (BN rule – LN rule).",
    rows={
        "uniform–identity": LMD(bn_rule="uniform", norm_rule="identity"),
        "identity–identity": LMD(bn_rule="identity", norm_rule="identity"),
        "identity–uniform": LMD(bn_rule="identity", norm_rule="uniform"),
        "identity–ratio (LMD)": LMD(),
    },
    paper={
        "CR": {
            "uniform–identity": {"Rp/R": 0.50, "Rp/C": 1.00, "Cp/C": 0.42},
            "identity–identity": {"Rp/R": 0.15, "Rp/C": 1.00, "Cp/C": 0.38},
            "identity–uniform": {"Rp/R": 0.18, "Rp/C": 1.00, "Cp/C": 0.38},
            "identity–ratio (LMD)": {"Rp/R": 0.05, "Rp/C": 1.00, "Cp/C": 0.15},
        },
    },
)

SHAPLEY = PaperTable(
    title="Table 3 — modality Shapley, LMD, LMD + SHAP",
    why="SHAP: exact modality Shapley (absent modality = zero), recomputed on every input. "
        "LMD + SHAP: each modality's LMD stream plus its Shapley share of the bias stream "
        "(see `lmd_ros/evaluation/methods.py`).",
    rows={
        "SHAP (exact, 2^M)": ModalityShapley(),
        "LMD": LMD(),
        "LMD + SHAP": LMDShapley(),
    },
    paper={
        "CR": {"SHAP (exact, 2^M)": {"Rp/C": 0.69, "Cp/R": 0.67},
               "LMD + SHAP": {"Rp/C": 0.94, "Cp/R": 0.89}},
        "CL": {"SHAP (exact, 2^M)": {"Lp/C": 0.71, "Cp/L": 0.72},
               "LMD + SHAP": {"Lp/C": 0.92, "Cp/L": 0.91}},
    },
)

TABLES = (ABLATION, RULES, SHAPLEY)
