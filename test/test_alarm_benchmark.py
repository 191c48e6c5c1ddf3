"""`lmd_benchmark alarms` end to end on a tiny campaign: one clean tune drive, a camera blackout,
a silent LiDAR and a clean eval drive of 2.5 s, in two worker processes; its tables, last line
and docs, and a re-run from its trace cache."""

from __future__ import annotations

import contextlib
import io
import re

import pytest

from lmd_ros.benchmarks.cli import main
from lmd_ros.monitor.alarm_calibration import read_spreads

SEMICOLON_METHODS = ("lmd", "topic health", "input statistics")
VERDICT = re.compile("; ".join(
    rf"{name}: detection = (\d+%|n/a), false alarms = (\d+\.\d|n/a)/h"
    for name in SEMICOLON_METHODS))


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["alarms", *argv])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """(argv, stdout, stderr, folder) of the tiny campaign; warm-up frames cut to 5, so the
    product learns its baselines within such short drives."""
    folder = tmp_path_factory.mktemp("alarms")
    config = folder / "monitor.yaml"
    config.write_text("lmd_monitor:\n  ros__parameters:\n    warmup_frames: 5\n")
    argv = ["--seconds", "2.5", "--kinds", "camera_blackout,lidar_silent", "--severities", "1",
            "--clean", "1", "--conditions", "day", "--config", str(config), "--workers", "2",
            "--dependency-frames", "2", "--spreads", str(folder / "spreads.yaml"),
            "--cache", str(folder / "cache"), "--docs", str(folder / "docs" / "alarms.md")]
    code, out, err = run(argv)
    assert code == 0, err
    return argv, out, err, folder


def table_rows(text: str, first_cell: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip("|").split("|")]
            for line in text.splitlines() if line.startswith(f"| {first_cell} |")]


def test_prints_the_tables_and_ends_with_the_verdict(tiny):
    _, out, err, _ = tiny
    for title in ("## Overall", "## Per fault", "## False alarms per condition",
                  "## Perception impact"):
        assert title in out
    assert VERDICT.fullmatch(out.strip().splitlines()[-1])
    assert "4/4 drives run" in err


def test_topic_health_sees_the_silent_lidar_but_not_the_blacked_out_camera(tiny):
    _, out, _, _ = tiny
    header = table_rows(out, "fault")[0]
    silent = dict(zip(header, table_rows(out, "lidar_silent")[0], strict=True))
    blackout = dict(zip(header, table_rows(out, "camera_blackout")[0], strict=True))
    assert silent["topic health: detected"] == "1/1"
    assert silent["lmd: detected"] == "1/1"  # the product's silence alarm
    assert blackout["topic health: detected"] == "0/1"  # its images keep coming
    assert blackout["input statistics: detected"] == "1/1"  # they are black


def test_the_verdict_repeats_the_overall_table(tiny):
    _, out, _, _ = tiny
    verdict = VERDICT.fullmatch(out.strip().splitlines()[-1]).groups()
    header = table_rows(out, "method")[0]
    for k, name in enumerate(SEMICOLON_METHODS):
        row = dict(zip(header, table_rows(out, name)[0], strict=True))
        assert verdict[2 * k] == row["degrading ≥ 0.5: detection"]
        assert verdict[2 * k + 1] == row["false alarms/h"]
        detected, faults = map(int, row["detected"].split("/"))
        assert faults == 1  # the blackout; the silent LiDAR is counted apart
        assert verdict[2 * k] == f"{100 * detected // faults}%"


def test_writes_the_docs_and_the_plot(tiny):
    argv, out, _, folder = tiny
    docs = (folder / "docs" / "alarms.md").read_text()
    assert "lmd_benchmark alarms " + " ".join(argv[:4]) in docs
    assert "seeds 10000–10000" in docs and "seeds 0–2" in docs
    assert "![detection vs false alarms](alarms_roc.png)" in docs
    assert "## Per-detection sensor dependency: linearized against real" in docs
    assert "held-out frames" in docs
    assert out.strip().splitlines()[-1] in docs
    png = (folder / "docs" / "alarms_roc.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_a_rerun_from_the_cache_renders_nothing_and_scores_the_same(tiny):
    argv, out, _, folder = tiny
    assert len(list((folder / "cache").glob("*.pkl"))) == 4
    code, again, err = run(argv)
    assert code == 0
    assert "4/4 drives from the cache" in err and "drives run" not in err
    assert again == out


@pytest.mark.parametrize(("option", "value"), [
    ("--warmup", "1"), ("--kinds", "camera_blackout,sunburn"), ("--severities", "0,1"),
    ("--conditions", "mars"), ("--clean", "0")])
def test_a_bad_option_exits_2_naming_it(option, value):
    code, out, err = run(["--seconds", "2.5", option, value])
    assert code == 2 and not out
    assert len(err.strip().splitlines()) == 1 and f"'{option}'" in err


def test_writes_the_spreads_fitted_on_the_tune_drive(tiny):
    _, _, _, folder = tiny
    spreads = read_spreads(folder / "spreads.yaml")
    assert {"camera", "radar", "lidar", "lidar/lidar points"} <= set(spreads)
