"""The alarm methods compared, each a family of alarm timelines along one threshold.

* ``lmd``: the product's own alarms. The core logs its alarm updates (`MonitorCore.alarm_log`);
  they are replayed through an `AlarmMonitor` under the configured alarm settings with the
  normal spreads fitted on the clean tune drives (`fit_spreads`: what ships as the model's
  alarm calibration), at the configured ``warn_z`` and along ``WARN_Z_SWEEP``
  (`lmd_timeline`).
* ``topic health`` and ``input statistics`` (`baselines`): fitted on the clean tune drives;
  they run at the tightest threshold of their sweep that raised no false alarm on those drives.

Every method is scored identically (`alarm_scoring`) on the eval drives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from lmd_ros.benchmarks import baselines
from lmd_ros.benchmarks.alarm_scoring import DriveScore, Summary, score_drive, summarise
from lmd_ros.monitor.alarm_calibration import fit_spreads
from lmd_ros.monitor.alarms import AlarmConfig, AlarmMonitor, AlarmSpan

if TYPE_CHECKING:
    from lmd_ros.benchmarks.drive_trace import DriveTrace

WARN_Z_SWEEP = (2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0)
TOLERANCE_SWEEP = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
"""Topic health: how far beyond its clean bounds a rate or an age may go, as a fraction."""
K_SWEEP = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
"""Input statistics: how many spreads beyond its clean quantiles a feature may go."""


@dataclass(frozen=True)
class Timing:
    """The times every method is scored with: the warm-up excluded at the start of a drive,
    and the product's hold and clear times (the baselines use them too)."""

    warmup: float
    hold_s: float
    clear_s: float


@dataclass(frozen=True)
class Method:
    """``spans(prepare(trace), threshold)``: the alarm spans of one drive at a threshold of
    ``sweep``; the method runs at ``operating``. ``prepare`` does what no threshold changes."""

    name: str
    parameter: str
    sweep: tuple[float | None, ...]
    operating: float | None
    prepare: Callable[[DriveTrace], Any]
    spans: Callable[[Any, float | None], Sequence[AlarmSpan]]


@dataclass(frozen=True)
class MethodResult:
    """A method on the eval drives: at its operating threshold, and along its sweep."""

    method: Method
    summary: Summary
    curve: tuple[tuple[float | None, Summary], ...]


def lmd_timeline(prepared: tuple[DriveTrace, AlarmConfig], warn_z: float | None,
                 ) -> Sequence[AlarmSpan]:
    """The drive's logged alarm updates replayed under the product's alarm ``config`` at
    ``warn_z`` (None: the configured one); the other thresholds follow where they must stay
    ordered."""
    trace, config = prepared
    if warn_z is not None:
        config = replace(config, warn_z=warn_z, corroborate_z=min(config.corroborate_z, warn_z),
                         error_z=max(config.error_z, 2 * warn_z))
    monitor = AlarmMonitor(trace.modalities, config)
    for update in trace.alarm_log:
        monitor.feed(update)
    return monitor.timeline()


def lmd_spreads(tune: Sequence[DriveTrace], config: AlarmConfig) -> dict[str, float]:
    """The normal spreads of every alarm signal on the clean tune drives."""
    return fit_spreads((trace.alarm_log for trace in tune), config.signal_config(share=True))


def lmd_method(config: AlarmConfig) -> Method:
    return Method("lmd", "warn_z", WARN_Z_SWEEP, None, lambda trace: (trace, config),
                  lmd_timeline)


def drive_scores(method: Method, prepared: Sequence[Any], traces: Sequence[DriveTrace],
                 threshold: float | None, timing: Timing) -> list[DriveScore]:
    return [score_drive(method.spans(p, threshold), t.spec.condition, t.spec.fault,
                        t.spec.seconds, timing.warmup, timing.hold_s)
            for p, t in zip(prepared, traces, strict=True)]


def tuned(name: str, parameter: str, sweep: tuple[float, ...], prepare: Callable[[DriveTrace], Any],
          tune: Sequence[DriveTrace], timing: Timing) -> Method:
    """A baseline at the tightest threshold without false alarms on the tune drives (the
    loosest when every one raised some)."""
    method = Method(name, parameter, sweep, None, prepare,
                    partial(baselines.alarms, hold_s=timing.hold_s, clear_s=timing.clear_s))
    prepared = [prepare(trace) for trace in tune]
    quiet = [threshold for threshold in sweep
             if not sum(d.false_alarms for d in drive_scores(method, prepared, tune, threshold,
                                                             timing))]
    return replace(method, operating=quiet[0] if quiet else sweep[-1])


def methods(tune: Sequence[DriveTrace], timing: Timing, config: AlarmConfig) -> list[Method]:
    """The product with its alarm ``config`` (spreads fitted on ``tune``) and both baselines
    fitted and tuned on ``tune``."""
    health = baselines.TopicHealth.fit(tune, timing.warmup)
    bands = baselines.InputBands.fit(tune, timing.warmup)
    return [lmd_method(config),
            tuned("topic health", "tolerance", TOLERANCE_SWEEP, health.excess, tune, timing),
            tuned("input statistics", "k", K_SWEEP, bands.excess, tune, timing)]


def evaluate_method(method: Method, traces: Sequence[DriveTrace], timing: Timing
                    ) -> MethodResult:
    prepared = [method.prepare(trace) for trace in traces]
    curve = {threshold: summarise(drive_scores(method, prepared, traces, threshold, timing))
             for threshold in (*method.sweep, method.operating)}
    return MethodResult(method, curve[method.operating],
                        tuple((threshold, curve[threshold]) for threshold in method.sweep))
