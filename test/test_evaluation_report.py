"""Markdown of the paper-style tables: cells, the paper's rows, cost ratios."""

from lmd_ros.evaluation.cost import Cost
from lmd_ros.evaluation.perturbation import PerturbationScores
from lmd_ros.evaluation.report import (
    ModelResults,
    cost_table,
    markdown_table,
    perturbation_table,
    summary_cell,
)
from lmd_ros.evaluation.tables import ABLATION


def test_markdown_table():
    assert markdown_table(["a", "b"], [["1", "2"]]) == ["| a | b |", "|---|---|", "| 1 | 2 |"]


def test_summary_cell_is_mean_and_std():
    assert summary_cell([0.4, 0.6], ".2f") == "0.50 ± 0.10"
    assert summary_cell([float("nan")], ".2f") == "n/a"


def _camera_radar_results() -> ModelResults:
    modalities = ("camera", "radar")
    scores = {}
    for i, spec in enumerate(ABLATION.rows.values()):
        s = PerturbationScores()
        for p in modalities:
            for q in modalities:
                s.pearson[p, q] = [i / 10]
                s.mse[p, q] = [float(i)]
        scores[spec] = s
    return ModelResults("cr", modalities, scores)


def test_perturbation_table_puts_the_papers_rows_under_ours_for_pearson_only():
    pearson = perturbation_table(ABLATION, _camera_radar_results(), "pearson")
    assert pearson[0] == "| method | Cp/C | Cp/R | Rp/C | Rp/R |"
    assert pearson[2] == "| baseline (none frozen) | 0.00 ± 0.00 | 0.00 ± 0.00 | 0.00 ± 0.00 | " \
                         "0.00 ± 0.00 |"
    assert pearson[5].startswith("| LMD (both) | 0.30 ± 0.00")
    assert pearson[-1] == "| *paper:* LMD (both) | 0.15 | 1.00 | 1.00 | 0.05 |"
    mse = perturbation_table(ABLATION, _camera_radar_results(), "mse")
    assert len(mse) == 2 + len(ABLATION.rows) and "paper" not in "".join(mse)


def test_cost_table_gives_ratios_to_the_forward():
    table = cost_table({(2, "CR"): {"forward": Cost(0.01, 2**20), "LMD": Cost(0.05, 3 * 2**20)}})
    assert table[2] == "| M = 2: CR | forward | 10.0 | 1.0 | 1.0 | 1.0 |"
    assert table[3] == "| M = 2: CR | LMD | 50.0 | 5.0 | 3.0 | 3.0 |"
