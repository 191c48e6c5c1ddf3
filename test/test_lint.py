"""Lint is a test: ruff over the whole package, its tests and launch files, zero findings."""

import subprocess
import sys
from pathlib import Path


def test_ruff_finds_nothing(repo_root):
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run(
        [str(ruff), "check", "--no-cache", "."], cwd=repo_root, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
