"""The comparison with the paper, worked out from the numbers so that it stays true for any run.

Every claim below is computed from this run's tables and the paper's numbers in ``tables``; the
fixed text only names what differs between the paper's setting and ours by construction.
"""

from __future__ import annotations

from lmd_ros.evaluation.cost import Costs
from lmd_ros.evaluation.metrics import mean_std
from lmd_ros.evaluation.report import ModelResults
from lmd_ros.evaluation.tables import ABLATION, RULES, SHAPLEY, PaperTable, column, model_key

LMD_ROW, BASELINE_ROW = "LMD (both)", "baseline (none frozen)"
ACTIVATIONS_ROW, NORMALIZATIONS_ROW = "activations only", "normalizations only"
SHAP_ROW, LMD_SHAP_ROW = "SHAP (exact, 2^M)", "LMD + SHAP"

RULE_CONSTANTS = (
    "Table 2 by construction: with every switch frozen, the identity and uniform rules only "
    "move constants (BN's shift, the reference mean) between streams. A constant cancels in "
    "a − b, so those rule pairs give the same MSE; it is shared by a and b, so it raises r. "
    "Only the ratio rule's per-stream centring depends on the input.")

SETTING = (
    "Why numbers differ from the paper's, by construction: (1) data — a synthetic world with "
    "one rig instead of nuScenes; partners are other drives; (2) model — a small SimpleBEV "
    "trained on CPU, whose radar and LiDAR rasters enter the fusion point raw (no learned "
    "encoder); a radar raster occupies well under 1 % of the cells, so the radar rasters of "
    "two unrelated scenes hardly overlap and any method's Rp/R starts near 0; (3) the map — "
    "all cells and channels of the logits at once; (4) LMD + SHAP — the paper does not spell "
    "its combination out; ours (Table 3 note) keeps LMD's frozen streams and re-evaluates only "
    "the bias shares on the perturbed coalitions, so its unperturbed streams move only through "
    "those shares.")


def _ours(result: ModelResults, table: PaperTable, row: str, pair: tuple[str, str]) -> float:
    return mean_std(result.scores[table.rows[row]].pearson[pair])[0]


def _paper(result: ModelResults, table: PaperTable, row: str, pair: tuple[str, str]
           ) -> float | None:
    return table.paper.get(model_key(result.modalities), {}).get(row, {}).get(column(*pair))


def _compare(result: ModelResults, table: PaperTable, rows: tuple[str, str],
             pairs: list[tuple[str, str]]) -> str:
    """"Pp/Q a vs b" for each pair (rows[0] vs rows[1]), with the paper's where it has them."""
    parts = []
    for pair in pairs:
        text = f"{column(*pair)} {_versus([_ours(result, table, r, pair) for r in rows])}"
        paper = [_paper(result, table, r, pair) for r in rows]
        if None not in paper:
            text += f" (paper {_versus(paper)})"
        parts.append(text)
    return ", ".join(parts)


def _higher(result: ModelResults, table: PaperTable, row: str, other: str,
            pairs: list[tuple[str, str]]) -> int:
    """In how many of ``pairs`` our mean r of ``row`` exceeds that of ``other``."""
    return sum(_ours(result, table, row, pair) > _ours(result, table, other, pair)
               for pair in pairs)


def _versus(values: list[float]) -> str:
    return " vs ".join(f"{v:.2f}" for v in values)


def _model_summary(result: ModelResults) -> str:
    modalities = result.modalities
    own = [(p, p) for p in modalities]
    cross = [(p, q) for p in modalities for q in modalities if p != q]

    best_rule = min(RULES.rows, key=lambda row: sum(_ours(result, RULES, row, pair)
                                                    for pair in own))
    return " ".join([
        f"- **{result.name}**: LMD keeps every unperturbed stream at mean r ≥ "
        f"{min(_ours(result, ABLATION, LMD_ROW, pair) for pair in cross):.4f} (paper 1.00).",
        "Perturbed stream, LMD vs baseline: "
        f"{_compare(result, ABLATION, (LMD_ROW, BASELINE_ROW), own)} — LMD lower in "
        f"{_higher(result, ABLATION, BASELINE_ROW, LMD_ROW, own)} of {len(own)}.",
        "Unperturbed streams, activations only vs normalizations only: "
        f"{_compare(result, ABLATION, (ACTIVATIONS_ROW, NORMALIZATIONS_ROW), cross)}.",
        f"Lowest Σ Pp/P among the BN–LN rule pairs: {best_rule} (paper: identity–ratio).",
        "Unperturbed streams, SHAP vs LMD + SHAP: "
        f"{_compare(result, SHAPLEY, (SHAP_ROW, LMD_SHAP_ROW), cross)} — LMD + SHAP higher in "
        f"{_higher(result, SHAPLEY, LMD_SHAP_ROW, SHAP_ROW, cross)} of {len(cross)}.",
    ])


def _cost_summary(costs: Costs) -> str:
    m, case = max(costs)
    forward = costs[m, case]["forward"]
    return (
        f"- **Cost**, M = {m} ({case}), time / peak memory as multiples of the forward: "
        + ", ".join(f"{method} {cost.seconds / forward.seconds:.1f}× / "
                    f"{cost.peak_bytes / forward.peak_bytes:.1f}×"
                    for method, cost in costs[m, case].items() if method != "forward")
        + ". LMD is one traced pass carrying M + 1 streams side by side (the paper's two "
        "passes, reference and streams, fused), so its memory grows with M; exact Shapley "
        "needs 2^M forwards, Captum's ShapleyValues M!·M + 1, FeatureAblation M + 1, one at a "
        "time.")


def discussion(results: list[ModelResults], costs: Costs) -> list[str]:
    return ["## Side by side with the paper", "",
            *(_model_summary(result) for result in results), _cost_summary(costs),
            "", RULE_CONSTANTS, "", SETTING]
