"""Frames from the synthetic world for training and evaluation, cached on disk.

Rendering is the slow part, so a set of drives is generated once and stored as one ``.npz``
whose name hashes everything that shapes it: seeds, frame stride, world config, world sources.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lmd_ros import world
from lmd_ros.sensors import GroundTruth, Rig, SensorFrame
from lmd_ros.world import Drive, WorldConfig

DEFAULT_CACHE_DIR = Path.home() / ".cache" / "lmd_ros"
HELD_OUT_FIRST_SEED = 100_000
"""Training drives use seeds 0, 1, ...; evaluation drives start here, so they never overlap."""


@dataclass
class WorldDataset:
    """Parallel lists of sensor frames and their ground truth."""

    frames: list[SensorFrame]
    truths: list[GroundTruth]

    def __len__(self) -> int:
        return len(self.frames)


def world_dataset(seeds: Sequence[int], frame_stride: int, rig: Rig,
                  config: WorldConfig | None = None, cache_dir: Path | None = DEFAULT_CACHE_DIR
                  ) -> WorldDataset:
    """Every ``frame_stride``-th frame of one drive per seed; read from / written to the cache."""
    config = config or WorldConfig()
    key = _key(seeds, frame_stride, rig, config)
    path = None if cache_dir is None else Path(cache_dir) / f"world-{key}.npz"
    if path is not None and path.exists():
        return _load(path, rig)
    start = time.monotonic()
    dataset = WorldDataset([], [])
    for seed in seeds:
        drive = Drive(seed=seed, config=config, rig=rig, faults=[])
        for i in range(0, len(drive), frame_stride):
            frame, truth = drive.frame(i)
            dataset.frames.append(frame)
            dataset.truths.append(truth)
    print(f"generated {len(dataset)} frames from {len(seeds)} drives in "
          f"{time.monotonic() - start:.0f} s", file=sys.stderr)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        _save(path, dataset, rig)
    return dataset


def _key(seeds: Sequence[int], frame_stride: int, rig: Rig, config: WorldConfig) -> str:
    digest = hashlib.sha256(repr((list(seeds), frame_stride, dataclasses.asdict(config),
                                  world.rig_to_dict(rig))).encode())
    for source in sorted(Path(world.__file__).parent.glob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def _concat(arrays: list[np.ndarray], name: str) -> dict[str, np.ndarray]:
    """Ragged rows as one array plus per-frame counts."""
    return {name: np.concatenate(arrays), f"{name}_counts": np.array([len(a) for a in arrays])}


def _split(data: dict[str, np.ndarray], name: str) -> list[np.ndarray]:
    return np.split(data[name], np.cumsum(data[f"{name}_counts"])[:-1])


def _save(path: Path, dataset: WorldDataset, rig: Rig) -> None:
    frames = dataset.frames
    if any(f.lidar is None or f.radar is None or len(f.images) != len(rig.cameras)
           for f in frames):
        raise ValueError("only complete frames (every sensor present) can be cached")
    partial = path.with_suffix(".partial.npz")
    np.savez(
        partial,
        stamps=np.array([f.stamp for f in frames]),
        images=np.stack([[f.images[c.name] for c in rig.cameras] for f in frames]),
        **_concat([f.lidar for f in frames], "lidar"),
        **_concat([f.radar for f in frames], "radar"),
        **_concat([t.boxes for t in dataset.truths], "boxes"),
        **_concat([t.classes for t in dataset.truths], "classes"),
        **_concat([t.velocities for t in dataset.truths], "velocities"),
    )
    partial.rename(path)


def _load(path: Path, rig: Rig) -> WorldDataset:
    with np.load(path) as data:
        data = dict(data)
    names = [c.name for c in rig.cameras]
    frames = [SensorFrame(stamp=float(stamp), images=dict(zip(names, images, strict=True)),
                          lidar=lidar, radar=radar)
              for stamp, images, lidar, radar in zip(data["stamps"], data["images"],
                                                     _split(data, "lidar"), _split(data, "radar"),
                                                     strict=True)]
    truths = [GroundTruth(boxes=b, classes=c, velocities=v)
              for b, c, v in zip(_split(data, "boxes"), _split(data, "classes"),
                                 _split(data, "velocities"), strict=True)]
    return WorldDataset(frames, truths)
