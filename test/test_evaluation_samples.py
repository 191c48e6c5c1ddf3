"""Evaluation samples: fixed by the seed, one held-out drive each, partners from other drives."""

import numpy as np
import pytest

from lmd_ros.evaluation.samples import evaluation_frames, partners
from lmd_ros.world import default_rig


def test_partners_are_the_next_samples_cyclically_never_the_sample_itself():
    assert partners(4, 2) == [[1, 2], [2, 3], [3, 0], [0, 1]]


@pytest.mark.parametrize("per_sample", [0, 3])
def test_partner_count_must_leave_other_samples(per_sample):
    with pytest.raises(ValueError, match="partners"):
        partners(3, per_sample)


def test_frames_are_fixed_by_the_seed():
    rig = default_rig()
    first, again, other = (evaluation_frames(2, seed, rig) for seed in (7, 7, 8))
    assert [f.stamp for f in first] == [f.stamp for f in again]
    assert all(np.array_equal(a.lidar, b.lidar) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[0].lidar, other[0].lidar)
    # every sample is its own drive: two samples never show the same scene
    assert not np.array_equal(first[0].images["front"], first[1].images["front"])
