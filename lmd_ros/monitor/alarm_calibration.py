"""Normal spreads of the alarm signals, measured on clean drives and kept in a YAML file.

How much a share, an input statistic or a consistency signal normally strays from its warm-up
value is a property of the model and the fleet's driving, not of one drive: a warm-up of a few
seconds on a calm road sees too little of it. ``lmd_benchmark alarms`` measures it on clean
drives across conditions (`fit_spreads`) and writes it here; the ``alarm_calibration``
parameter, or the model adapter (``ModelAdapter.alarm_spreads``), gives it to the monitor.
File: ``{spreads: {<key>: <spread>}, source: <how it was measured>}``, keys as
``AlarmConfig.spreads``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import yaml

from lmd_ros.monitor.alarms import AlarmUpdate
from lmd_ros.monitor.calibrated_signal import CalibratedSignal, SignalConfig


def read_spreads(path: str | Path) -> dict[str, float]:
    """The spreads in ``path``; ValueError naming what is wrong with the file."""
    try:
        document = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as error:
        raise ValueError(f"cannot read {path}: {' '.join(str(error).split())}") from None
    spreads = document.get("spreads") if isinstance(document, dict) else None
    if not isinstance(spreads, dict) or not all(
            isinstance(k, str) and isinstance(v, int | float) and not isinstance(v, bool)
            and np.isfinite(v) and v > 0 for k, v in spreads.items()):
        raise ValueError(f"{path} must hold 'spreads:' mapping names to numbers > 0")
    return {k: float(v) for k, v in spreads.items()}


def write_spreads(path: str | Path, spreads: Mapping[str, float], source: str) -> None:
    Path(path).write_text(yaml.safe_dump(
        {"source": source, "spreads": {k: float(f"{v:.6g}") for k, v in sorted(spreads.items())}},
        sort_keys=False))


def fit_spreads(drives: Iterable[Iterable[AlarmUpdate]], config: SignalConfig,
                quantile: float = 0.99) -> dict[str, float]:
    """Per signal, how far its EMA strays from its warm-up mean on clean drives, each drive
    warmed up as the monitor does: the root-mean-square deviation, raised where needed so that
    the ``quantile`` of |deviation| stays within ``warn_z / 2`` spreads (a heavy-tailed signal
    gets a wider spread than its RMS alone would give it)."""
    deviations: dict[str, list[float]] = {}
    for updates in drives:
        signals: dict[str, CalibratedSignal] = {}
        for update in updates:
            for key, value in _values(update):
                signal = signals.setdefault(key, CalibratedSignal(key, config))
                signal.update(update.stamp, value)
                if signal.ready and signal.smoothed is not None:
                    deviations.setdefault(key, []).append(signal.smoothed - signal.mean)
    spreads = {}
    for key, values in deviations.items():
        deviation = np.abs(np.asarray(values))
        rms = float(np.sqrt(np.mean(deviation ** 2)))
        tail = float(np.quantile(deviation, quantile)) / (config.warn_z / 2)
        if max(rms, tail) > 0:
            spreads[key] = max(rms, tail)
    return spreads


def _values(update: AlarmUpdate) -> Iterable[tuple[str, float]]:
    """Every signal of one update under its spread key."""
    for modality, share in update.shares.items():
        if share is not None:
            yield modality, share
    for part in (update.statistics, update.consistency):
        for modality, values in part.items():
            for label, value in values.items():
                yield f"{modality}/{label}", value
