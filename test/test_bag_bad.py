"""Bad bags: whatever is missing or broken is named in the summary, and the rest is analysed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rosbags.typesys import Stores, get_types_from_msg, get_typestore
from sensor_msgs.msg import Image, PointCloud2
from test_bag_support import WORKDIR, checkpoint, columns, rewrite, synthetic_bag

from lmd_ros.bag.analysis import AnalysisOptions, analyse_bag
from lmd_ros.bag.analyze import main
from lmd_ros.bag.cdr import decode, encode
from lmd_ros.ros.conversions import seconds_to_stamp, stamp_to_seconds

FRAMES = 8


@pytest.fixture(scope="module")
def base():
    return synthetic_bag(FRAMES / 10)


def _analyse(bag):
    return analyse_bag(bag, WORKDIR / f"out_{bag.name}", AnalysisOptions(checkpoint=checkpoint()))


def _shifted(raw: bytes, cls: type, seconds: float) -> bytes:
    msg = decode(raw, cls)
    msg.header.stamp = seconds_to_stamp(stamp_to_seconds(msg.header.stamp) + seconds)
    return encode(msg)


def test_missing_camera_topic_is_named_and_the_other_sensors_analysed(base):
    bag = rewrite(base, WORKDIR / "no_rear", keep=lambda t: t != "/camera/rear/image_raw")
    summary = _analyse(bag)
    assert summary["issues"] == [
        "/camera/rear/image_raw (camera/rear) is not in the bag: analysed without it"]
    assert summary["frames"] == FRAMES and summary["detections"] > 0


def test_two_of_three_sensors_analysed_and_the_absent_one_alarmed(base):
    bag = rewrite(base, WORKDIR / "no_lidar", keep=lambda t: t != "/lidar/points")
    summary = _analyse(bag)
    assert summary["issues"] == [
        "/lidar/points (lidar/lidar) is not in the bag: analysed without it"]
    assert summary["frames"] == FRAMES
    out = WORKDIR / f"out_{bag.name}"
    assert not columns(out / "frames.parquet")["present_lidar"].any()
    alarms = columns(out / "alarms.parquet")
    assert list(alarms["sensor"]) == ["lidar"] and list(alarms["level"]) == ["STALE"]


def test_unknown_and_wrong_types_are_skipped_not_fatal(base):
    vendor = get_typestore(Stores.EMPTY)
    vendor.register(get_types_from_msg("int32 code", "vendor_msgs/msg/Status"))
    status = (b"\x00\x01\x00\x00" + (7).to_bytes(4, "little"))
    bag = rewrite(base, WORKDIR / "types", retype={"/lidar/points": "sensor_msgs/msg/LaserScan"},
                  extra=[("/vendor/status", "vendor_msgs/msg/Status", vendor, status)])
    summary = _analyse(bag)
    assert summary["issues"] == ["/lidar/points (lidar/lidar) carries sensor_msgs/msg/LaserScan, "
                                 "expected sensor_msgs/msg/PointCloud2: skipped"]
    assert summary["ignored_topics"] == ["/vendor/status"]
    assert summary["frames"] == FRAMES


def test_out_of_order_and_jumping_stamps_are_dropped_and_counted(base):
    def change(topic: str, index: int, raw: bytes) -> bytes:
        if topic == "/lidar/points" and index == 3:
            return _shifted(raw, PointCloud2, -0.15)  # older than the LiDAR's previous one
        if topic == "/camera/front/image_raw" and index == 5:
            return _shifted(raw, Image, -3.0)  # a clock jump back: the source restarts
        return raw
    summary = _analyse(rewrite(base, WORKDIR / "stamps", change=change))
    assert "lidar/lidar: 1 messages dropped by the synchroniser (out_of_order)" in summary["issues"]
    assert any(i.startswith("stamps jumped back 1 times") for i in summary["issues"])
    assert summary["frames"] == FRAMES - 2  # the two frames that lost a message


def _truncated(bag: Path, name: str, fraction: float) -> Path:
    copy = shutil.copytree(bag, WORKDIR / name)
    storage = next(p for p in copy.iterdir() if p.suffix in (".mcap", ".db3"))
    storage.write_bytes(storage.read_bytes()[: round(storage.stat().st_size * fraction)])
    return copy


def test_truncated_bags_salvage_what_they_hold_and_the_run_goes_on(base):
    mcap = _truncated(base, "cut_mcap", 0.6)
    sqlite = _truncated(synthetic_bag(FRAMES / 10, storage="sqlite3"), "cut_sqlite", 0.5)
    out = WORKDIR / "out_truncated"
    code = main([str(mcap), str(sqlite), "--out", str(out), "--checkpoint", str(checkpoint())])
    assert code == 0
    index = columns(out / "index.parquet")
    assert list(index["out"]) == ["cut_mcap", "cut_sqlite"]
    assert list(index["error"]) == [None, None]
    summary = json.loads((out / "cut_mcap" / "summary.json").read_text())
    assert any("is truncated" in i and "salvaged" in i for i in summary["issues"])
    assert 0 < summary["frames"] < FRAMES
    summary = json.loads((out / "cut_sqlite" / "summary.json").read_text())
    assert any("is damaged" in i and "readable messages" in i for i in summary["issues"])
    assert 0 < summary["frames"] < FRAMES


def test_a_bit_flip_in_an_mcap_chunk_is_reported_and_its_chunk_skipped(base):
    copy = shutil.copytree(base, WORKDIR / "flipped")
    storage = next(p for p in copy.iterdir() if p.suffix == ".mcap")
    data = bytearray(storage.read_bytes())
    data[len(data) // 2] ^= 0x10  # one bit, inside the data section
    storage.write_bytes(bytes(data))
    summary = _analyse(copy)
    corrupt = [i for i in summary["issues"] if "fail their CRC" in i]
    assert corrupt and "were salvaged" in corrupt[0], summary["issues"]
    assert 0 < summary["frames"] < FRAMES
