"""Table 4's measurements: peak memory from allocation events, and the LiDAR split."""

import torch

from lmd_ros.evaluation.cost import attributions, measure, peak_allocated, split_lidar
from lmd_ros.model import ModelConfig, SimpleBEV


def _allocations():
    first = torch.empty(250_000)  # 1e6 bytes
    second = torch.empty(500_000)  # 2e6 bytes: 3e6 live, the peak
    del first
    third = torch.empty(100_000)  # 0.4e6 bytes: 2.4e6 live
    return second, third


def test_peak_is_the_most_bytes_alive_at_once():
    assert peak_allocated(_allocations) == 3_000_000


def test_measure_times_and_profiles_a_call():
    cost = measure(_allocations, repeats=2)
    assert cost.seconds > 0 and cost.peak_bytes == 3_000_000


def test_lidar_split_adds_a_modality_and_leaves_the_head_unchanged():
    torch.manual_seed(0)
    head = SimpleBEV(ModelConfig(modalities=("radar", "lidar"), bev_channels=(8, 8))).head.eval()
    inputs = (torch.randn(1, 3, 64, 64), torch.randn(1, 4, 64, 64))
    modalities, split = split_lidar(("radar", "lidar"), inputs)
    assert modalities == ("radar", "lidar_density", "lidar_intensity")
    assert [x.shape[1] for x in split] == [3, 3, 1]
    with torch.no_grad():
        assert torch.equal(head(*split)["heatmap"], head(*inputs)["heatmap"])
        calls = attributions(head, modalities, split, "segmentation")
        assert list(calls) == ["forward", "LMD", "exact modality Shapley (ours)",
                               "Captum ShapleyValues", "Captum FeatureAblation"]
        # Captum's attribution of the summed map is the exact Shapley value of that sum
        ours = calls["exact modality Shapley (ours)"]()
        theirs = calls["Captum ShapleyValues"]()
        for phi, attribution in zip(ours, theirs, strict=True):
            assert torch.allclose(attribution.flatten()[0], phi["segmentation"].sum(),
                                  rtol=1e-4, atol=1e-4)
