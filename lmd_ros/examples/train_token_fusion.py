"""``lmd_train_token_fusion``: train the token-fusion example on synthetic drives, on CPU, within a
wall-time budget, then score it on held-out drives; the scores go into the checkpoint.

Seeded (data order, modality dropout, initialisation); the number of steps taken within the
budget depends on the machine and is recorded.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from lmd_ros.calibration import load_rig
from lmd_ros.examples.token_fusion import (
    MODALITIES,
    SHIPPED_CHECKPOINT,
    TokenFusion,
    TokenFusionConfig,
    save_token_fusion,
    token_inputs,
)
from lmd_ros.examples.token_fusion.evaluation import evaluate
from lmd_ros.examples.token_fusion.set_loss import set_loss
from lmd_ros.model.dataset import HELD_OUT_FIRST_SEED, world_dataset
from lmd_ros.model.modality_dropout import keep_modalities, sample_modalities
from lmd_ros.model.train import add_data_arguments, learning_rate

PROGRESS_INTERVAL_S = 30.0
LOSS_WINDOW = 50


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lmd_train_token_fusion",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--budget-min", type=float, default=12.0, help="training wall time")
    parser.add_argument("--out", type=Path, default=SHIPPED_CHECKPOINT)
    parser.add_argument("--held-out-drives", type=int, default=6,
                        help=f"evaluation drives (seeds {HELD_OUT_FIRST_SEED}, ...)")
    parser.add_argument("--lr", type=float, default=1e-3)
    add_data_arguments(parser, threads=1)
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    rig = load_rig(args.calibration)
    data = world_dataset(range(args.drives), args.frame_stride, rig, cache_dir=args.cache)
    model = TokenFusion(TokenFusionConfig())
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    model.train()
    budget_s = args.budget_min * 60
    start = last_report = time.monotonic()
    totals: list[float] = []
    while (progress := (time.monotonic() - start) / budget_s) < 1:
        for group in optimiser.param_groups:
            group["lr"] = learning_rate(args.lr, progress)
        batch = rng.choice(len(data), size=args.batch_size, replace=False)
        frames = [keep_modalities(data.frames[i], sample_modalities(rng, MODALITIES))
                  for i in batch]
        losses = set_loss(model(token_inputs(frames, rig, model.config)), model.fusion.query_xy,
                          [data.truths[i] for i in batch], model.config)
        optimiser.zero_grad()
        losses["total"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        totals.append(losses["total"].item())
        if time.monotonic() - last_report > PROGRESS_INTERVAL_S:
            last_report = time.monotonic()
            print(f"step {len(totals)} | {(last_report - start) / 60:.1f} min | loss "
                  f"{np.mean(totals[-LOSS_WINDOW:]):.3f} (class {losses['class'].item():.3f}, "
                  f"box {losses['box'].item():.3f})", file=sys.stderr)
    model.eval()
    info = {"steps": len(totals), "train_seconds": round(time.monotonic() - start, 1),
            "first_loss": totals[0], "final_loss": float(np.mean(totals[-LOSS_WINDOW:])),
            "frames": len(data), "argv": [str(a) for a in (sys.argv[1:] if argv is None else argv)],
            "torch": str(torch.__version__)}
    held_out = world_dataset(range(HELD_OUT_FIRST_SEED, HELD_OUT_FIRST_SEED
                                   + args.held_out_drives), args.frame_stride, rig,
                             cache_dir=args.cache)
    for keep in (MODALITIES, *((m,) for m in MODALITIES)):
        for name, value in evaluate(model, held_out, rig, keep).items():
            info[f"held_out {'+'.join(keep)} {name}"] = round(value, 4)
    save_token_fusion(args.out, model, info)
    print(f"saved {args.out}: {info}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
