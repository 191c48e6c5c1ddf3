"""Fleet scale: two bags spread over a local Ray cluster give what a serial run gives, each in
its own folder, with a merged index."""

from __future__ import annotations

import numpy as np
import pytest
from test_bag_support import WORKDIR, checkpoint, columns, synthetic_bag

from lmd_ros.bag.analysis import AnalysisOptions
from lmd_ros.bag.analyze import main
from lmd_ros.bag.fleet import output_folders, run_serial

pytest.importorskip("ray")


def test_local_ray_run_equals_the_serial_run():
    bags = [synthetic_bag(0.6, seed=seed) for seed in (1, 2)]
    serial_out, ray_out = WORKDIR / "fleet_serial", WORKDIR / "fleet_ray"
    serial = run_serial(bags, output_folders(bags, serial_out),
                        AnalysisOptions(checkpoint=checkpoint()))
    code = main([*map(str, bags), "--out", str(ray_out), "--ray", "local",
                 "--checkpoint", str(checkpoint())])
    assert code == 0
    index = columns(ray_out / "index.parquet")
    assert list(index["frames"]) == [s["frames"] for s in serial] == [6, 6]
    assert (ray_out / "index.html").read_text().count("report.html") == 2
    for bag in bags:
        for table in ("detections", "frames", "alarms"):
            a = columns(serial_out / bag.name / f"{table}.parquet")
            b = columns(ray_out / bag.name / f"{table}.parquet")
            assert list(a) == list(b)
            for name in a:
                if a[name].dtype.kind == "f":
                    np.testing.assert_allclose(a[name], b[name], rtol=1e-6, atol=1e-6)
                else:
                    assert list(a[name]) == list(b[name])
