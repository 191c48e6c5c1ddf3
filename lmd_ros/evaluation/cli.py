"""``lmd_evaluate``: the paper's Tables 1–4 on the reference checkpoints, printed and as Markdown.

Samples come from held-out drives of the synthetic world; each is perturbed with the inputs of
``--partners`` unrelated samples. ``--samples`` scales the run; the seed fixes every draw.
``--model`` evaluates any model adapter instead (its fusion point, see `fusion_point`).
"""

from __future__ import annotations

import argparse
import platform
import shlex
import sys
import time
from pathlib import Path

import torch

from lmd_ros.adapters import AdapterError, ModelAdapter, load_adapter
from lmd_ros.evaluation.cost import Costs, attributions, measure, split_lidar
from lmd_ros.evaluation.discussion import discussion
from lmd_ros.evaluation.fusion_point import fusion_point
from lmd_ros.evaluation.perturbation import perturbation_scores
from lmd_ros.evaluation.report import STATISTICS, ModelResults, cost_table, perturbation_table
from lmd_ros.evaluation.samples import FusionInputs, evaluation_frames, partners
from lmd_ros.evaluation.tables import TABLES, model_key
from lmd_ros.model.checkpoint import CHECKPOINT_DIR, read_checkpoint
from lmd_ros.world import default_rig

MODELS = ("cr", "cl", "crl")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="lmd_evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=6)
    parser.add_argument("--partners", type=int, default=2, help="unrelated partners per sample")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="also write the Markdown here")
    parser.add_argument("--output", default="segmentation",
                        help="the output map compared (logits, before the sigmoid); the "
                        "reference models have segmentation and heatmap")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS),
                        help=f"reference checkpoints in {CHECKPOINT_DIR}")
    parser.add_argument("--model", metavar="FACTORY",
                        help="evaluate this model adapter instead (package.module:factory or an "
                        "installed lmd_ros.models entry point)")
    parser.add_argument("--checkpoint", default="", help="checkpoint for --model")
    parser.add_argument("--model-options", default="", metavar="YAML",
                        help="options for --model: a YAML file or inline mapping")
    parser.add_argument("--cost-repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    start = time.monotonic()
    rig = default_rig()
    frames = evaluation_frames(args.samples, args.seed, rig)
    partner_lists = partners(args.samples, args.partners)
    results, costs = [], {}
    try:
        adapters = _adapters(args)
        for name, adapter in adapters.items():
            head, samples = fusion_point(adapter, frames, rig)
            modalities = tuple(adapter.modalities)
            results.append(_perturbation_results(name, head, modalities, samples, partner_lists,
                                                 args.output))
            costs.update(_costs(head, modalities, samples[0], args.output, args.cost_repeats,
                                split_lidar_case=args.model is None))
    except (AdapterError, ValueError, KeyError) as error:
        print(f"lmd_evaluate: {error}", file=sys.stderr)
        return 2
    lines = _document(shlex.join(["lmd_evaluate", *argv]), args, results, costs,
                      time.monotonic() - start)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0


def _adapters(args: argparse.Namespace) -> dict[str, ModelAdapter]:
    """``--model``, else the reference checkpoints, each through its adapter."""
    if args.model is not None:
        adapter = load_adapter(args.model, args.checkpoint, args.model_options)
        return {args.model: adapter}
    return {f"{name}.pt": load_adapter("", str(CHECKPOINT_DIR / f"{name}.pt"))
            for name in args.models}


def _perturbation_results(name: str, head: torch.nn.Module, modalities: tuple[str, ...],
                          samples: list[FusionInputs], partner_lists: list[list[int]],
                          output: str) -> ModelResults:
    """Every method of Tables 1–3 once (a method shared by tables is run once)."""
    results = ModelResults(name, modalities, {})
    for table in TABLES:
        for label, spec in table.rows.items():
            if spec not in results.scores:
                began = time.monotonic()
                results.scores[spec] = perturbation_scores(spec(head, modalities), samples,
                                                           partner_lists, modalities, output)
                print(f"{name}: {label} in {time.monotonic() - began:.0f} s", file=sys.stderr)
    return results


def _costs(head: torch.nn.Module, modalities: tuple[str, ...], inputs: FusionInputs, output: str,
           repeats: int, split_lidar_case: bool) -> Costs:
    """Table 4 cases of one model: its modalities, and for the reference models (whose head
    concatenates BEV channels) with the LiDAR split in two (M + 1)."""
    cases = {model_key(modalities): (modalities, inputs)}
    if split_lidar_case and "lidar" in modalities:
        cases[f"{model_key(modalities)}, LiDAR split"] = split_lidar(modalities, inputs)
    return {(len(m), case): {method: measure(fn, repeats) for method, fn in
                             attributions(head, m, x, output).items()}
            for case, (m, x) in cases.items()}


def _document(command: str, args: argparse.Namespace, results: list[ModelResults],
              costs: Costs, seconds: float) -> list[str]:
    lines = [
        "# LMD evaluation on the reference models",
        "",
        f"Made by `{command}` (seed {args.seed}) in {seconds / 60:.1f} min on "
        f"{platform.machine()} CPU, {args.threads} torch threads, torch {torch.__version__}. "
        "No GPU was available to this run: every number is CPU.",
        "",
        f"{args.samples} samples, each from its own held-out drive at a random time; each is "
        f"perturbed with the inputs of {args.partners} other samples (other drives: unrelated "
        "scenes). Perturbing the camera swaps in the partner's camera BEV features; the partner's "
        "calibration is the same rig's, as our world has one rig. The map compared is the "
        f"**{args.output} logits** (every cell, every channel, before the sigmoid) at the "
        "fusion-point head. Cells: mean ± std over samples × partners. Pp/Q: perturb P, observe "
        "Q's stream; ideal Pp/P low (r) / high (MSE), Pp/Q = 1 (r) / 0 (MSE) for Q ≠ P.",
        "",
        "Checkpoints: " + ", ".join(
            f"{r.name} ({_train_info(r.name)})" for r in results) + ".",
    ]
    for table in TABLES:
        lines += ["", f"## {table.title}", "", table.why]
        for result in results:
            for statistic, (title, _) in STATISTICS.items():
                lines += ["", f"### {result.name} ({' + '.join(result.modalities)}) — "
                          f"{title}", "", *perturbation_table(table, result, statistic)]
    lines += ["", "## Table 4 — cost on one sample (CPU)", "",
              "Median wall time and peak allocated memory (above the inputs and weights) of one "
              "attribution, as multiples of the plain forward of the head. LMD and exact Shapley "
              "attribute every output map; Captum attributes one scalar per sample (the summed "
              f"{args.output} logits), since its multi-output mode would store one value per "
              "output cell × input element. Captum's feature masks: one group per modality, "
              "baseline zero. M = 4: the LiDAR BEV split into height-band densities and "
              "intensity.", "", *cost_table(costs)]
    return [*lines, "", *discussion(results, costs)]


def _train_info(name: str) -> str:
    """How long the checkpoint trained: the tables depend on it."""
    if name.removesuffix(".pt") not in MODELS:
        return "a user's model"
    info = read_checkpoint(CHECKPOINT_DIR / name)["train_info"]
    if "steps" not in info:
        return "no training record"
    return f"{info['steps']} training steps, final loss {info['final_loss']:.2f}"


if __name__ == "__main__":
    sys.exit(main())
