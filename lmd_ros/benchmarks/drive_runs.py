"""Many drives: from a trace cache, serially, in spawned worker processes, or as Ray tasks.

A cached trace is keyed by everything it depends on (the spec, the world it renders, the monitor
settings, ``TRACE_VERSION``), so re-scoring never re-renders. With Ray every drive is one task
(one CPU) and `lmd_ros` must be importable on every node; the traces come back to the driver,
so nothing needs a shared filesystem. Ray is imported only when asked for.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import pickle
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

from lmd_ros.benchmarks.campaign import DriveSpec
from lmd_ros.benchmarks.drive_trace import DriveTrace, run_drive
from lmd_ros.monitor.settings import MonitorSettings

TRACE_VERSION = 1
"""Bump when `DriveTrace`, or what fills it, changes: older cached traces are then ignored."""


REPLAYED = frozenset({"warn_z", "error_z", "corroborate_z", "min_spread", "alarm_calibration"})
"""Settings a trace does not depend on: the product's alarms are replayed under them from the
recorded alarm updates (`alarm_methods.lmd_timeline`)."""


def cache_key(spec: DriveSpec, settings: MonitorSettings) -> str:
    recorded = {name: value for name, value in vars(settings).items() if name not in REPLAYED}
    text = repr((TRACE_VERSION, spec, spec.world(), recorded))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def run_drives(specs: Sequence[DriveSpec], settings: MonitorSettings, workers: int = 1,
               ray_address: str | None = None, cache: Path | None = None,
               report: Callable[[str], None] = print) -> list[DriveTrace]:
    """The trace of every spec, in order: cached ones loaded, the others run (``workers``
    processes, or on the Ray cluster at ``ray_address``; ``local`` starts one here)."""
    traces: list[DriveTrace | None] = [None] * len(specs)
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        for i, spec in enumerate(specs):
            path = cache / f"{cache_key(spec, settings)}.pkl"
            if path.is_file():
                traces[i] = pickle.loads(path.read_bytes())
    todo = [i for i, trace in enumerate(traces) if trace is None]
    if len(todo) < len(specs):
        report(f"{len(specs) - len(todo)}/{len(specs)} drives from the cache {cache}")
    runs: Iterator[tuple[int, DriveTrace]]
    if not todo:
        runs = iter(())
    elif ray_address is not None:
        runs = _on_ray(ray_address, specs, todo, settings, workers)
    elif workers > 1:
        runs = _in_processes(specs, todo, settings, workers)
    else:
        runs = ((i, run_drive(specs[i], settings)) for i in todo)
    started, frames = time.monotonic(), 0
    for done, (i, trace) in enumerate(runs, 1):
        traces[i] = trace
        if cache is not None:
            path = cache / f"{cache_key(specs[i], settings)}.pkl"
            path.with_suffix(".tmp").write_bytes(pickle.dumps(trace))
            path.with_suffix(".tmp").replace(path)
        frames += len(trace.frames)
        elapsed = time.monotonic() - started
        report(f"{done}/{len(todo)} drives run, {frames} frames in {elapsed:.0f} s, "
               f"~{elapsed / done * (len(todo) - done):.0f} s left: {trace.spec.label} "
               f"({trace.wall_s:.1f} s)")
    return traces


def _indexed(item: tuple[int, DriveSpec], settings: MonitorSettings) -> tuple[int, DriveTrace]:
    return item[0], run_drive(item[1], settings)


def _in_processes(specs: Sequence[DriveSpec], todo: Sequence[int], settings: MonitorSettings,
                  workers: int) -> Iterator[tuple[int, DriveTrace]]:
    """Spawned, not forked: a forked child would inherit torch's thread pool and locks."""
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        yield from pool.imap_unordered(partial(_indexed, settings=settings),
                                       [(i, specs[i]) for i in todo])


def _on_ray_node(spec: DriveSpec, settings: MonitorSettings) -> DriveTrace:
    import ray

    return replace(run_drive(spec, settings), worker=ray.get_runtime_context().get_node_id())


def _on_ray(address: str, specs: Sequence[DriveSpec], todo: Sequence[int],
            settings: MonitorSettings, workers: int) -> Iterator[tuple[int, DriveTrace]]:
    import ray

    local = address == "local"
    ray.init(address=None if local else address, num_cpus=workers if local else None,
             include_dashboard=False, logging_level="ERROR")
    try:
        task = ray.remote(num_cpus=1)(_on_ray_node)
        pending = {task.remote(specs[i], settings): i for i in todo}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            yield pending.pop(done[0]), ray.get(done[0])
    finally:
        ray.shutdown()
