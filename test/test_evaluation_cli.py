"""``lmd_evaluate`` end to end on small untrained checkpoints: every table lands in the file."""

import pytest
import torch

from lmd_ros.evaluation import cli
from lmd_ros.model import ModelConfig, SimpleBEV, save_checkpoint


@pytest.fixture
def small_checkpoints(tmp_path, monkeypatch):
    torch.manual_seed(0)
    for name, modalities in (("cr", ("camera", "radar")), ("crl", ("camera", "radar", "lidar"))):
        config = ModelConfig(modalities=modalities, camera_channels=2, bev_channels=(8, 8))
        save_checkpoint(tmp_path / f"{name}.pt", SimpleBEV(config).eval(), {})
    monkeypatch.setattr(cli, "CHECKPOINT_DIR", tmp_path)
    return tmp_path


def test_writes_every_table_with_the_command_that_made_it(small_checkpoints, capsys):
    out = small_checkpoints / "results.md"
    argv = ["--samples", "2", "--partners", "1", "--seed", "3", "--models", "cr", "crl",
            "--cost-repeats", "1", "--threads", "1", "--out", str(out)]
    assert cli.main(argv) == 0
    text = out.read_text()
    assert text in capsys.readouterr().out
    assert f"`lmd_evaluate {' '.join(argv)}` (seed 3)" in text
    for title in ("Table 1", "Table 2", "Table 3", "Table 4", "Side by side"):
        assert f"## {title}" in text
    assert "### cr.pt (camera + radar) — Pearson r" in text
    assert "| *paper:* LMD (both) | 0.15 | 1.00 | 1.00 | 0.05 |" in text
    assert "| M = 4: CRL, LiDAR split | Captum ShapleyValues |" in text
    assert "No GPU" in text


def test_any_model_adapter_is_evaluated_through_its_fusion_point(small_checkpoints, capsys):
    argv = ["--samples", "2", "--partners", "1", "--model", "lmd_ros.model.adapter:build",
            "--checkpoint", str(small_checkpoints / "cr.pt"), "--output", "heatmap",
            "--cost-repeats", "1", "--threads", "1"]
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    assert "### lmd_ros.model.adapter:build (camera + radar) — Pearson r" in text
    assert "LiDAR split" not in text


@pytest.mark.parametrize(("model", "reason"), [
    ("no_such_package.module:build", "cannot import 'no_such_package.module'"),
    ("lmd_ros.sensors:Rig", "the factory raised TypeError"),
    ("not_an_installed_model", "no such installed model"),
])
def test_a_model_that_cannot_be_loaded_exits_2_naming_it(model, reason, capsys):
    assert cli.main(["--samples", "2", "--partners", "1", "--model", model]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"lmd_evaluate: {model}") and reason in error
