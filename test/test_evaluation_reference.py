"""The paper's headline claim on the shipped camera + radar + LiDAR model, on a small sample."""

import pytest

from lmd_ros.adapters import load_adapter
from lmd_ros.evaluation.fusion_point import fusion_point
from lmd_ros.evaluation.methods import LMD
from lmd_ros.evaluation.metrics import mean_std
from lmd_ros.evaluation.perturbation import perturbation_scores
from lmd_ros.evaluation.samples import evaluation_frames, partners
from lmd_ros.world import default_rig


@pytest.fixture(scope="module")
def scores():
    adapter = load_adapter("")  # the shipped reference model
    rig = default_rig()
    head, samples = fusion_point(adapter, evaluation_frames(2, seed=0, rig=rig), rig)
    return {name: perturbation_scores(spec(head, adapter.modalities), samples,
                                      partners(2, 1), adapter.modalities, "segmentation")
            for name, spec in (("lmd", LMD()), ("baseline", LMD(False, False)))}


def test_frozen_switches_leave_the_unperturbed_streams_untouched(scores):
    for pair in (("radar", "camera"), ("camera", "radar")):
        assert all(r == pytest.approx(1.0, abs=5e-5) for r in scores["lmd"].pearson[pair])
        assert all(e == pytest.approx(0.0, abs=1e-10) for e in scores["lmd"].mse[pair])


def test_lmd_decorrelates_the_perturbed_radar_stream(scores):
    # paper: Rp/R = 0.05. The baseline's is as low here (radar rasters of two scenes share
    # almost no cell), so "below the baseline" is no test on this model; see docs/results.md.
    assert mean_std(scores["lmd"].pearson["radar", "radar"])[0] < 0.1


def test_without_frozen_switches_the_unperturbed_streams_move(scores):
    for pair in (("radar", "camera"), ("camera", "radar")):
        assert mean_std(scores["baseline"].pearson[pair])[0] < 0.95
