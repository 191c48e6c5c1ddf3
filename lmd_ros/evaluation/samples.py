"""Evaluation samples and their unrelated partners (their fusion-point inputs: `fusion_point`).

Every sample comes from its own held-out drive (its own seed: another road, other traffic) at a
random time, so any other sample is an unrelated partner. Perturbing the camera of sample n
swaps in the partner's images "with their calibration": our world has one rig, so the partner's
calibration is the same rig's and the swap changes the images only.
"""

from __future__ import annotations

import numpy as np
import torch

from lmd_ros.model.dataset import HELD_OUT_FIRST_SEED
from lmd_ros.sensors import Rig, SensorFrame
from lmd_ros.world import Drive, WorldConfig

DRIVE_SEEDS = 1_000_000
"""Held-out drive seeds are drawn from HELD_OUT_FIRST_SEED + [0, DRIVE_SEEDS)."""

FusionInputs = tuple[torch.Tensor, ...]
"""One sample's per-modality BEV tensors (1, C_m, X, Y), in the model's modality order."""


def evaluation_frames(count: int, seed: int, rig: Rig, config: WorldConfig | None = None
                      ) -> list[SensorFrame]:
    """``count`` frames, each of a distinct held-out drive at a random time, fixed by ``seed``."""
    rng = np.random.default_rng(seed)
    drive_seeds = HELD_OUT_FIRST_SEED + rng.choice(DRIVE_SEEDS, size=count, replace=False)
    frames = []
    for drive_seed in drive_seeds:
        drive = Drive(seed=int(drive_seed), config=config, rig=rig)
        frames.append(drive.frame(int(rng.integers(len(drive))))[0])
    return frames


def partners(count: int, per_sample: int) -> list[list[int]]:
    """Partners of sample n: the next ``per_sample`` samples, cyclically (all other drives)."""
    if not 0 < per_sample < count:
        raise ValueError(f"need 0 < partners per sample < samples, got {per_sample} partners "
                         f"for {count} samples")
    return [[(n + k) % count for k in range(1, per_sample + 1)] for n in range(count)]
