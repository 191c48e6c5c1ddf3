"""The fault campaign: which synthetic drives the alarm benchmark renders, and through which world.

Two disjoint splits. ``tune``: clean drives only, on which the baselines learn their bands and
pick their thresholds. ``eval``: every fault kind at each severity (frozen and silent faults,
which have no degree, once), plus clean drives; conditions go round the faulted and the clean
drives alike. A drive's fault starts at a seeded random time in its first half and lasts
``FAULT_FRACTION`` of the drive, so every drive has clean driving before its fault and the
monitor time to recover after it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from lmd_ros.world import CONDITIONS, FAULT_KINDS, Fault, WorldConfig, condition_config

SEED_BASE = {"tune": 10_000, "eval": 0}
"""First seed of each split; a split holds far fewer drives than the gap, so seeds never meet."""
SEVERITIES = (0.5, 1.0)
CLEAN_DRIVES = 9
"""Clean drives per split and repeat: once round the nine conditions."""
ONSET_FRACTION = (0.35, 0.5)
FAULT_FRACTION = 0.35
MIN_FAULT_S = 2.0
"""A silence must outlast the silence timeout plus the hold to be seen by anyone."""
ONSET_STREAM = 7


@dataclass(frozen=True)
class DriveSpec:
    """One drive of the campaign: the world seed, the condition, its fault (None: clean)."""

    seed: int
    condition: str
    fault: Fault | None
    seconds: float
    split: str

    @property
    def label(self) -> str:
        fault = self.fault
        what = "clean" if fault is None else (
            f"{fault.kind}@{fault.start_s:.2f}:{fault.end_s:.2f}:{fault.severity:g}")
        return f"{self.split} seed {self.seed} {self.condition} {what}"

    def world(self) -> WorldConfig:
        return condition_config(self.condition, WorldConfig(duration_s=self.seconds))


def has_degree(kind: str) -> bool:
    """Whether a fault kind's severity means anything (frozen and silent ones are all-or-none)."""
    return not kind.endswith(("_frozen", "_silent"))


def fault_window(seed: int, seconds: float) -> tuple[float, float]:
    """When a faulted drive's fault starts and ends, drawn from its seed."""
    rng = np.random.default_rng([seed, ONSET_STREAM])
    start = round(float(rng.uniform(*ONSET_FRACTION)) * seconds, 2)
    return start, min(seconds, round(start + max(FAULT_FRACTION * seconds, MIN_FAULT_S), 2))


def campaign(repeats: int = 1, seconds: float = 20.0, kinds: Sequence[str] = FAULT_KINDS,
             severities: Sequence[float] = SEVERITIES, clean: int = CLEAN_DRIVES,
             conditions: Iterable[str] = CONDITIONS) -> list[DriveSpec]:
    """Tune drives, then eval drives; ``repeats`` times the same faults on fresh seeds."""
    conditions = tuple(conditions)
    faults = [(kind, severity) for kind in kinds
              for severity in (severities if has_degree(kind) else (1.0,))]
    clean_drives: list[tuple[str, float] | None] = [None] * (clean * repeats)
    seeds = {split: itertools.count(base) for split, base in SEED_BASE.items()}
    specs = []
    for split, drives in (("tune", clean_drives), ("eval", faults * repeats),
                          ("eval", clean_drives)):
        for i, fault in enumerate(drives):
            specs.append(_spec(next(seeds[split]), conditions[i % len(conditions)], fault,
                               seconds, split))
    return specs


def _spec(seed: int, condition: str, fault: tuple[str, float] | None, seconds: float,
          split: str) -> DriveSpec:
    if fault is None:
        return DriveSpec(seed, condition, None, seconds, split)
    start, end = fault_window(seed, seconds)
    return DriveSpec(seed, condition, Fault(fault[0], start, end, fault[1]), seconds, split)
