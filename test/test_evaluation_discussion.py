"""The side-by-side text is computed from the tables: check it on numbers set by hand."""

from lmd_ros.evaluation.cost import Cost
from lmd_ros.evaluation.discussion import discussion
from lmd_ros.evaluation.perturbation import PerturbationScores
from lmd_ros.evaluation.report import ModelResults
from lmd_ros.evaluation.tables import ABLATION, TABLES

MODALITIES = ("camera", "radar")


def _results() -> ModelResults:
    """r = 0.5 everywhere, except LMD's Cp/C = 0.2 and Rp/R = 0.9."""
    scores = {}
    for table in TABLES:
        for spec in table.rows.values():
            s = PerturbationScores()
            for p in MODALITIES:
                for q in MODALITIES:
                    s.pearson[p, q] = [0.5]
            scores[spec] = s
    lmd = scores[ABLATION.rows["LMD (both)"]]
    lmd.pearson["camera", "camera"], lmd.pearson["radar", "radar"] = [0.1, 0.3], [0.9]
    return ModelResults("cr", MODALITIES, scores)


def test_claims_follow_the_numbers_and_quote_the_paper():
    costs = {(2, "CR"): {"forward": Cost(0.01, 100), "LMD": Cost(0.05, 300)}}
    text = "\n".join(discussion([_results()], costs))
    assert "Cp/C 0.20 vs 0.50 (paper 0.15 vs 0.09), Rp/R 0.90 vs 0.50 (paper 0.05 vs 0.22)" \
           " — LMD lower in 1 of 2." in text
    assert "LMD + SHAP higher in 0 of 2" in text
    assert "LMD 5.0× / 3.0×" in text
