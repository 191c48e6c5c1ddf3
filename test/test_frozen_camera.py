"""A camera whose images stop changing is an input fault: no live camera repeats its noise."""

from __future__ import annotations

from lmd_ros.monitor.alarms import Level
from lmd_ros.monitor.assembly import build_core
from lmd_ros.monitor.settings import MonitorSettings
from lmd_ros.world import Drive, Fault, WorldConfig


def test_a_frozen_front_camera_is_a_warning_on_the_camera_naming_it():
    core = build_core(MonitorSettings())
    drive = Drive(5, WorldConfig(duration_s=2.0), faults=(Fault("camera_frozen", 0.5, 2.0,
                                                                target="front"),))
    faults = {}
    for i in range(len(drive)):
        frame, _ = drive.frame(i)
        for name, image in frame.images.items():
            core.ingest(f"camera/{name}", frame.stamp, image, frame.stamp)
        faults[frame.stamp] = core.faults(frame.stamp).get("camera")
    assert all(faults[stamp] is None for stamp in faults if stamp < 0.5 + core.settings.stale_after)
    late = faults[1.9]
    assert late is not None and late.level == Level.WARN  # one camera of four
    assert late.reason == "camera/front: image unchanged for 1.30 s (frozen)"  # since 0.6 s
