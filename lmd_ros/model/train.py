"""``lmd_train``: train the reference model on synthetic drives, on CPU, within a wall-time budget.

Seeded (data order, dropout and initialisation); with a wall-time budget the number of steps
depends on the machine's speed, and the checkpoint records how many were taken.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

from lmd_ros.calibration import load_rig
from lmd_ros.model.checkpoint import load_model, save_checkpoint
from lmd_ros.model.config import ModelConfig
from lmd_ros.model.dataset import DEFAULT_CACHE_DIR, WorldDataset, world_dataset
from lmd_ros.model.losses import detection_losses
from lmd_ros.model.modality_dropout import keep_modalities, sample_modalities
from lmd_ros.model.preprocess import preprocess
from lmd_ros.model.simplebev import SimpleBEV
from lmd_ros.model.targets import make_targets
from lmd_ros.sensors import MODALITIES, Rig

WARMUP_FRACTION = 0.03
FINAL_LR_FRACTION = 0.05
PROGRESS_INTERVAL_S = 30.0
LOSS_WINDOW = 50
"""The reported final loss is the mean over this many last steps."""


def parse_modalities(text: str) -> tuple[str, ...]:
    """"camera,radar" -> ("camera", "radar"), in the package's modality order."""
    chosen = {m.strip() for m in text.split(",") if m.strip()}
    unknown = chosen - set(MODALITIES)
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown modalities {sorted(unknown)}; "
                                         f"choose from {MODALITIES}")
    return tuple(m for m in MODALITIES if m in chosen)


def learning_rate(base: float, progress: float) -> float:
    """Linear warm-up, then cosine decay to ``FINAL_LR_FRACTION`` of ``base`` at the budget."""
    if progress < WARMUP_FRACTION:
        return base * (progress / WARMUP_FRACTION)
    cosine = 0.5 * (1 + math.cos(math.pi * min(1.0, (progress - WARMUP_FRACTION)
                                               / (1 - WARMUP_FRACTION))))
    return base * (FINAL_LR_FRACTION + (1 - FINAL_LR_FRACTION) * cosine)


def _progress(elapsed: float, budget_s: float, steps: int, max_steps: int | None) -> float:
    """Fraction of training done: time or steps, whichever runs out first."""
    return max(elapsed / budget_s, 0.0 if max_steps is None else steps / max_steps)


def train(model: SimpleBEV, data: WorldDataset, rig: Rig, *, budget_s: float, batch_size: int,
          lr: float, seed: int, max_steps: int | None = None) -> dict[str, float]:
    """Optimise in place until the budget (or ``max_steps``) runs out; returns a summary."""
    rng = np.random.default_rng(seed)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    model.train()
    start = last_report = time.monotonic()
    totals: list[float] = []
    since_report: list[dict[str, float]] = []
    while (progress := _progress(time.monotonic() - start, budget_s, len(totals), max_steps)) < 1:
        for group in optimiser.param_groups:
            group["lr"] = learning_rate(lr, progress)
        batch = rng.choice(len(data), size=batch_size, replace=False)
        frames = [keep_modalities(data.frames[i], sample_modalities(rng, model.config.modalities))
                  for i in batch]
        losses = detection_losses(model(preprocess(frames, rig, model.config)),
                                  make_targets([data.truths[i] for i in batch], model.config))
        optimiser.zero_grad()
        losses["total"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimiser.step()
        totals.append(losses["total"].item())
        since_report.append({k: v.item() for k, v in losses.items()})
        if time.monotonic() - last_report > PROGRESS_INTERVAL_S:
            last_report = time.monotonic()
            means = " ".join(f"{k} {np.mean([r[k] for r in since_report]):.3f}"
                             for k in since_report[0])
            elapsed = last_report - start
            print(f"step {len(totals)} | {elapsed / 60:.1f}/{budget_s / 60:.1f} min | "
                  f"{elapsed / len(totals):.2f} s/step | {means}", file=sys.stderr)
            since_report = []
    model.eval()
    return {"steps": len(totals), "train_seconds": round(time.monotonic() - start, 1),
            "first_loss": totals[0], "final_loss": float(np.mean(totals[-LOSS_WINDOW:]))}


def add_data_arguments(parser: argparse.ArgumentParser, threads: int) -> None:
    """What every trainer on synthetic drives is asked: seed, drives, batch, threads, cache, rig."""
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--drives", type=int, default=96, help="training drives (seeds 0..N-1)")
    parser.add_argument("--frame-stride", type=int, default=10, help="keep every Nth frame")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--threads", type=int, default=threads)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE_DIR)
    parser.add_argument("--calibration", type=Path,
                        help="render the world through this rig (calibration YAML; default: the "
                        "world's own)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lmd_train", description=__doc__.splitlines()[0])
    parser.add_argument("--modalities", type=parse_modalities, default=MODALITIES)
    parser.add_argument("--budget-min", type=float, default=25.0, help="training wall time")
    parser.add_argument("--out", type=Path, required=True, help="checkpoint to write")
    parser.add_argument("--max-steps", type=int, default=None,
                        help="stop after this many steps even within the budget")
    parser.add_argument("--lr", type=float, default=2e-3)
    add_data_arguments(parser, threads=2)
    parser.add_argument("--init", type=Path,
                        help="start from this checkpoint's weights (fine-tune, e.g. the shipped "
                        "model for another rig) instead of from scratch")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rig = load_rig(args.calibration)
    start_from = load_model(args.init) if args.init is not None else None
    if start_from is not None and start_from.config.modalities != args.modalities:
        parser.error(f"--init: {args.init} fuses {start_from.config.modalities}, not "
                     f"{args.modalities}")
    config = dataclasses.replace(start_from.config if start_from else
                                 ModelConfig(modalities=args.modalities),
                                 camera_names=tuple(c.name for c in rig.cameras))
    start = time.monotonic()
    data = world_dataset(range(args.drives), args.frame_stride, rig, cache_dir=args.cache)
    data_seconds = time.monotonic() - start
    print(f"dataset: {len(data)} frames ready in {data_seconds:.0f} s", file=sys.stderr)
    model = SimpleBEV(config)
    if start_from is not None:
        model.load_state_dict(start_from.state_dict())
    history = train(model, data, rig, budget_s=args.budget_min * 60, batch_size=args.batch_size,
                    lr=args.lr, seed=args.seed, max_steps=args.max_steps)
    save_checkpoint(args.out, model, {
        **history, "frames": len(data), "data_seconds": round(data_seconds, 1),
        "argv": [str(a) for a in (sys.argv[1:] if argv is None else argv)],
        "torch": str(torch.__version__)})
    print(f"saved {args.out}: {history}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
