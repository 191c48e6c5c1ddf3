"""Installed models are found by name through the ``lmd_ros.models`` entry-point group, as
setup.py declares them (a user's package declares its own the same way)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from lmd_ros.adapters import load_adapter
from lmd_ros.adapters.loading import ENTRY_POINT_GROUP
from lmd_ros.examples.token_fusion import TokenFusionAdapter
from lmd_ros.model.adapter import SimpleBEVAdapter


def _declared_models(setup_py: Path) -> list[str]:
    """The ``lmd_ros.models`` lines of setup.py's ``entry_points``, read without running it."""
    for node in ast.walk(ast.parse(setup_py.read_text())):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == ENTRY_POINT_GROUP:
                    return ast.literal_eval(value)
    raise AssertionError(f"setup.py declares no {ENTRY_POINT_GROUP!r} entry points")


@pytest.fixture
def installed(tmp_path, monkeypatch, repo_root) -> list[str]:
    """A distribution on sys.path whose metadata carries setup.py's model entry points (what
    pip writes on install), so the test needs no reinstall of the package."""
    lines = _declared_models(repo_root / "setup.py")
    info = tmp_path / "lmd_ros_models_probe-0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lmd-ros-models-probe\n"
                                   "Version: 0\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n" + "\n".join(lines) + "\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return lines


def test_setup_py_declares_both_shipped_models(installed):
    assert sorted(line.split("=")[0].strip() for line in installed) == ["reference",
                                                                       "token_fusion"]


def test_a_model_name_without_a_colon_resolves_through_the_group(installed):
    assert isinstance(load_adapter("token_fusion"), TokenFusionAdapter)
    assert isinstance(load_adapter("reference"), SimpleBEVAdapter)
