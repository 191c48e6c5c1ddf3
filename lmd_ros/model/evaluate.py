"""``lmd_evaluate_model``: held-out BEV vehicle IoU and per-class AP, fused and per single sensor.

Prints a Markdown table: one row per checkpoint and input (all its modalities, then each one
alone with the others removed before preprocessing).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from lmd_ros.calibration import load_rig
from lmd_ros.model.checkpoint import DEFAULT_CHECKPOINT, load_model
from lmd_ros.model.dataset import (
    DEFAULT_CACHE_DIR,
    HELD_OUT_FIRST_SEED,
    WorldDataset,
    world_dataset,
)
from lmd_ros.model.decode import Detection, decode_detections
from lmd_ros.model.metrics import MATCH_DISTANCE_M, average_precision, bev_iou
from lmd_ros.model.modality_dropout import keep_modalities
from lmd_ros.model.preprocess import preprocess
from lmd_ros.model.simplebev import SimpleBEV
from lmd_ros.model.targets import make_targets
from lmd_ros.sensors import Rig

AP_SCORE_THRESHOLD = 0.05
SEGMENTATION_THRESHOLD = 0.5
BATCH_SIZE = 8


def evaluate(model: SimpleBEV, data: WorldDataset, rig: Rig,
             modalities: Sequence[str]) -> dict[str, float]:
    """Scores of ``model`` on ``data`` when only ``modalities`` deliver data."""
    config = model.config
    detections: list[list[Detection]] = []
    predicted_masks, true_masks = [], []
    with torch.no_grad():
        for start in range(0, len(data), BATCH_SIZE):
            frames = [keep_modalities(f, modalities)
                      for f in data.frames[start:start + BATCH_SIZE]]
            outputs = model(preprocess(frames, rig, config))
            detections += decode_detections(outputs, config, AP_SCORE_THRESHOLD, 100)
            predicted_masks.append(torch.sigmoid(outputs["segmentation"]).numpy()
                                   > SEGMENTATION_THRESHOLD)
            true_masks.append(make_targets(data.truths[start:start + BATCH_SIZE],
                                           config).segmentation.numpy() > 0.5)
    scores = {f"{config.segmentation_class} IoU":
              bev_iou(np.concatenate(predicted_masks), np.concatenate(true_masks))}
    for class_id, name in enumerate(config.class_names):
        scores[f"AP {name}"] = average_precision(
            [np.array([(d.score, d.x, d.y) for d in frame if d.class_id == class_id]).reshape(-1, 3)
             for frame in detections],
            [truth.boxes[config.cell_of(truth.boxes[:, 0], truth.boxes[:, 1])[2]
                         & (truth.classes == class_id), :2] for truth in data.truths])
    return scores


def input_variants(modalities: Sequence[str]) -> list[tuple[str, ...]]:
    """All modalities together, then each alone (when there is more than one)."""
    singles = [(m,) for m in modalities] if len(modalities) > 1 else []
    return [tuple(modalities), *singles]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lmd_evaluate_model",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, nargs="+", default=[DEFAULT_CHECKPOINT])
    parser.add_argument("--drives", type=int, default=6,
                        help=f"held-out drives (seeds {HELD_OUT_FIRST_SEED}, ...)")
    parser.add_argument("--frame-stride", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE_DIR)
    parser.add_argument("--calibration", type=Path,
                        help="render the world through this rig (calibration YAML; default: the "
                        "world's own)")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    rig = load_rig(args.calibration)
    data = world_dataset(range(HELD_OUT_FIRST_SEED, HELD_OUT_FIRST_SEED + args.drives),
                         args.frame_stride, rig, cache_dir=args.cache)
    rows = []
    for path in args.checkpoint:
        model = load_model(path)
        for modalities in input_variants(model.config.modalities):
            scores = evaluate(model, data, rig, modalities)
            rows.append((path.name, "+".join(modalities), scores))
    metric_names = list(rows[0][2])
    print(f"Held-out: {len(data)} frames from {args.drives} drives "
          f"(seeds {HELD_OUT_FIRST_SEED}..{HELD_OUT_FIRST_SEED + args.drives - 1}); "
          f"AP over scores >= {AP_SCORE_THRESHOLD}, centre distance <= {MATCH_DISTANCE_M} m.\n")
    print("| model | input | " + " | ".join(metric_names) + " |")
    print("|---|---|" + "---:|" * len(metric_names))
    for name, inputs, scores in rows:
        print(f"| {name} | {inputs} | " + " | ".join(f"{scores[m]:.3f}" for m in metric_names)
              + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
