"""ROS message <-> numpy conversions, exercised with the real message classes."""

import array
import io
import struct
import time
import zlib

import numpy as np
import pytest
from builtin_interfaces.msg import Time
from hypothesis import example, given, settings
from hypothesis import strategies as st
from PIL import Image as PILImage
from sensor_msgs.msg import CompressedImage, Image, PointCloud2, PointField

from lmd_ros.ros.conversions import (
    MalformedMessage,
    array_to_pointcloud2,
    compressed_image_to_rgb,
    image_to_rgb,
    pointcloud2_to_array,
    rgb_to_image,
    seconds_to_stamp,
    stamp_to_seconds,
)

try:
    from sensor_msgs_py import point_cloud2
except ImportError:
    point_cloud2 = None
try:
    from cv_bridge import CvBridge
except ImportError:
    CvBridge = None

NUMPY_TYPES = {
    PointField.INT8: "i1",
    PointField.UINT8: "u1",
    PointField.INT16: "i2",
    PointField.UINT16: "u2",
    PointField.INT32: "i4",
    PointField.UINT32: "u4",
    PointField.FLOAT32: "f4",
    PointField.FLOAT64: "f8",
}
XYZ = ("x", "y", "z")


def make_image(pixels: np.ndarray, encoding: str, padding: int = 0) -> Image:
    """An Image whose rows carry ``padding`` extra bytes of 0xEE after the pixels."""
    height, width = pixels.shape[:2]
    rows = pixels.reshape(height, -1)
    padded = np.full((height, rows.shape[1] + padding), 0xEE, dtype=np.uint8)
    padded[:, : rows.shape[1]] = rows
    return Image(
        height=height,
        width=width,
        encoding=encoding,
        step=padded.shape[1],
        data=array.array("B", padded.tobytes()),
    )


def make_cloud(
    columns: dict[str, np.ndarray],
    layout: dict[str, tuple[int, int]],
    point_step: int,
    row_padding: int = 0,
    bigendian: bool = False,
) -> PointCloud2:
    """Encode (height, width) value grids; ``layout`` maps name -> (datatype, offset)."""
    height, width = next(iter(columns.values())).shape
    row_step = width * point_step + row_padding
    buffer = np.full((height, row_step), 0xAB, dtype=np.uint8)
    points = buffer[:, : width * point_step].reshape(height, width, point_step)
    for name, (datatype, offset) in layout.items():
        dtype = np.dtype((">" if bigendian else "<") + NUMPY_TYPES[datatype])
        encoded = columns[name].astype(dtype).view(np.uint8).reshape(height, width, -1)
        points[:, :, offset : offset + dtype.itemsize] = encoded
    return PointCloud2(
        height=height,
        width=width,
        fields=[
            PointField(name=name, offset=offset, datatype=datatype, count=1)
            for name, (datatype, offset) in layout.items()
        ],
        is_bigendian=bigendian,
        point_step=point_step,
        row_step=row_step,
        data=array.array("B", buffer.tobytes()),
    )


def float_cloud(points: np.ndarray, names=XYZ) -> PointCloud2:
    layout = {name: (PointField.FLOAT32, 4 * index) for index, name in enumerate(names)}
    columns = {name: points[None, :, index] for index, name in enumerate(names)}
    return make_cloud(columns, layout, point_step=4 * len(names))


def random_rgb(height=5, width=7, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


# --- stamps -------------------------------------------------------------------------------


@given(st.integers(0, 2**22 - 1), st.integers(0, 999_999_999))
def test_stamp_round_trip_is_nanosecond_exact(sec, nanosec):
    stamp = seconds_to_stamp(stamp_to_seconds(Time(sec=sec, nanosec=nanosec)))
    assert (stamp.sec, stamp.nanosec) == (sec, nanosec)


def test_seconds_to_stamp_rounds_to_nearest_nanosecond_and_keeps_nanosec_positive():
    assert (seconds_to_stamp(1.5).sec, seconds_to_stamp(1.5).nanosec) == (1, 500_000_000)
    assert (seconds_to_stamp(-0.25).sec, seconds_to_stamp(-0.25).nanosec) == (-1, 750_000_000)
    assert seconds_to_stamp(2.9999999999).nanosec == 0
    assert stamp_to_seconds(Time(sec=1_700_000_000, nanosec=123_456_789)) == pytest.approx(
        1_700_000_000.123456789, abs=1e-6
    )


@pytest.mark.parametrize("seconds", [float("nan"), float("inf"), 2.0**31, -(2.0**31) - 1])
def test_seconds_to_stamp_rejects_unrepresentable_times(seconds):
    with pytest.raises(ValueError):
        seconds_to_stamp(seconds)


# --- images -------------------------------------------------------------------------------


def test_unpadded_rgb8_is_a_zero_copy_view():
    pixels = random_rgb()
    msg = make_image(pixels, "rgb8")
    rgb = image_to_rgb(msg)
    np.testing.assert_array_equal(rgb, pixels)
    assert np.shares_memory(rgb, np.frombuffer(msg.data, dtype=np.uint8))


@pytest.mark.parametrize("padding", [0, 5])
@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("rgb8", lambda rgb: rgb),
        ("bgr8", lambda rgb: rgb[..., ::-1]),
        ("mono8", lambda rgb: rgb[..., :1]),
    ],
)
def test_images_decode_to_rgb_honouring_step_padding(encoding, encode, padding):
    pixels = random_rgb()
    if encoding == "mono8":
        pixels = np.repeat(pixels[..., :1], 3, axis=2)
    rgb = image_to_rgb(make_image(np.ascontiguousarray(encode(pixels)), encoding, padding))
    assert rgb.dtype == np.uint8
    assert rgb.flags.c_contiguous
    np.testing.assert_array_equal(rgb, pixels)


def test_rgb_to_image_round_trips_with_header():
    pixels = random_rgb(4, 9)
    msg = rgb_to_image(pixels, Time(sec=3, nanosec=7), "camera_front")
    assert (msg.encoding, msg.step, msg.header.frame_id) == ("rgb8", 27, "camera_front")
    assert (msg.header.stamp.sec, msg.header.stamp.nanosec) == (3, 7)
    np.testing.assert_array_equal(image_to_rgb(msg), pixels)


@pytest.mark.parametrize("bad", [np.zeros((4, 4), np.uint8), np.zeros((4, 4, 3), np.float32)])
def test_rgb_to_image_rejects_non_rgb_arrays(bad):
    with pytest.raises(ValueError):
        rgb_to_image(bad, Time(), "cam")


def encode_with_pillow(pixels: np.ndarray, pillow_format: str) -> bytes:
    buffer = io.BytesIO()
    PILImage.fromarray(pixels).save(buffer, format=pillow_format)
    return buffer.getvalue()


def test_png_compressed_image_decodes_exactly():
    pixels = random_rgb(16, 12)
    msg = CompressedImage(format="png", data=encode_with_pillow(pixels, "PNG"))
    np.testing.assert_array_equal(compressed_image_to_rgb(msg), pixels)


def test_jpeg_compressed_image_decodes_close_to_the_source():
    pixels = np.zeros((32, 48, 3), np.uint8)
    pixels[:, 24:] = (200, 40, 90)
    msg = CompressedImage(
        format="rgb8; jpeg compressed bgr8", data=encode_with_pillow(pixels, "JPEG")
    )
    rgb = compressed_image_to_rgb(msg)
    assert rgb.shape == pixels.shape
    assert np.abs(rgb.astype(int) - pixels).mean() < 4


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"encoding": "16UC1"}, "unsupported encoding: '16UC1'"),
        ({"step": 20}, "inconsistent layout: step 20 is shorter"),
        ({"height": 6}, "short data: 105 B, fewer than height x step = 6 x 21"),
        ({"width": 0}, "empty image"),
    ],
)
def test_malformed_images_say_why(change, reason):
    msg = make_image(random_rgb(), "rgb8")
    for key, value in change.items():
        setattr(msg, key, value)
    with pytest.raises(MalformedMessage, match=reason):
        image_to_rgb(msg)


@pytest.mark.parametrize(
    ("image_format", "data", "reason"),
    [
        ("tiff", b"II*\x00", "unsupported format"),
        ("png", b"definitely not a png", "undecodable image"),
        ("jpeg", encode_with_pillow(random_rgb(16, 16), "PNG")[:40], "undecodable image"),
        ("jpeg", encode_with_pillow(random_rgb(16, 16), "JPEG")[:200], "undecodable image"),
        ("png", encode_with_pillow(random_rgb(16, 16), "GIF"), "undecodable image"),
    ],
)
def test_malformed_compressed_images_say_why(image_format, data, reason):
    with pytest.raises(MalformedMessage, match=reason):
        compressed_image_to_rgb(CompressedImage(format=image_format, data=data))


def png_bomb(width: int, height: int) -> bytes:
    """A real PNG of black pixels: a few hundred KB that decode to width x height x 3 bytes."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body))
    packer, row = zlib.compressobj(9), bytes(1 + 3 * width)
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small JPEG whose SOF header is rewritten to declare width x height."""
    data = bytearray(encode_with_pillow(random_rgb(16, 16), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.mark.parametrize(("image_format", "data"), [
    ("png", png_bomb(9000, 9000)), ("jpeg", jpeg_declaring(9000, 9000))])
def test_decompression_bombs_are_refused_from_their_header_before_decoding(image_format, data):
    assert len(data) < 300_000
    started = time.monotonic()
    with pytest.raises(MalformedMessage, match="image too large: 9000 x 9000 pixels > "
                       "max_image_pixels=8294400"):
        compressed_image_to_rgb(CompressedImage(format=image_format, data=data))
    assert time.monotonic() - started < 1.0  # decoding the PNG takes >10 s and 1.3 GB


def test_a_bound_on_pixels_applies_to_raw_images_too():
    msg = make_image(random_rgb(), "rgb8")
    with pytest.raises(MalformedMessage, match="image too large"):
        image_to_rgb(msg, max_pixels=msg.width * msg.height - 1)
    assert image_to_rgb(msg, max_pixels=msg.width * msg.height).shape[:2] == (msg.height,
                                                                              msg.width)


@settings(max_examples=150, deadline=None)
@given(
    encoding=st.sampled_from(["rgb8", "bgr8", "mono8", "rgba8", ""]),
    height=st.integers(0, 6),
    width=st.integers(0, 6),
    step=st.integers(0, 30),
    data=st.binary(max_size=200),
)
def test_random_images_give_rgb_or_malformed(encoding, height, width, step, data):
    msg = Image(height=height, width=width, encoding=encoding, step=step, data=data)
    try:
        rgb = image_to_rgb(msg)
    except MalformedMessage:
        return
    assert rgb.shape == (height, width, 3)
    assert rgb.dtype == np.uint8


@settings(max_examples=100, deadline=None)
@example(source="PNG", cut=0, flip=35, flip_to=0)  # a broken chunk: Pillow's SyntaxError
@given(
    source=st.sampled_from(["PNG", "JPEG"]),
    cut=st.integers(0, 400),
    flip=st.integers(0, 400),
    flip_to=st.integers(0, 255),
)
def test_corrupted_compressed_images_give_rgb_or_malformed(source, cut, flip, flip_to):
    encoded = encode_with_pillow(random_rgb(12, 12), source)
    data = bytearray(encoded[: max(0, len(encoded) - cut)])
    if flip < len(data):
        data[flip] = flip_to
    try:
        rgb = compressed_image_to_rgb(CompressedImage(format=source.lower(), data=bytes(data)))
    except MalformedMessage:
        return
    assert rgb.dtype == np.uint8
    assert rgb.ndim == 3
    assert rgb.shape[2] == 3


# --- point clouds -------------------------------------------------------------------------


@pytest.mark.parametrize("bigendian", [False, True])
@pytest.mark.parametrize("datatype", sorted(NUMPY_TYPES))
def test_every_datatype_and_byte_order_reads_by_name(datatype, bigendian):
    rng = np.random.default_rng(datatype)
    values = rng.integers(0, 100, (2, 3)).astype(float) - (50 if datatype % 2 else 0)
    columns = {"intensity": values, "x": values + 1, "y": values * 2, "z": -values}
    layout = {  # fields out of name order, at unaligned offsets, with padding bytes between
        "intensity": (datatype, 1),
        "z": (PointField.FLOAT64, 10),
        "x": (PointField.FLOAT32, 19),
        "y": (PointField.INT32, 24),
    }
    msg = make_cloud(columns, layout, point_step=31, row_padding=6, bigendian=bigendian)
    cloud = pointcloud2_to_array(msg, XYZ, optional=("intensity",))
    expected = np.stack([columns[name].ravel() for name in (*XYZ, "intensity")], axis=1)
    assert cloud.points.dtype == np.float32
    np.testing.assert_array_equal(cloud.points, expected)
    assert (cloud.dropped, cloud.missing) == (0, ())


def test_non_finite_points_are_dropped_and_counted():
    points = np.arange(15, dtype=np.float32).reshape(5, 3)
    points[1, 0], points[3, 2] = np.nan, np.inf
    cloud = pointcloud2_to_array(float_cloud(points), XYZ)
    np.testing.assert_array_equal(cloud.points, points[[0, 2, 4]])
    assert cloud.dropped == 2


def test_a_cloud_of_only_non_finite_points_is_malformed_not_empty():
    points = np.full((4, 3), np.nan, np.float32)
    points[2, 0] = 1.0  # one finite value is not a finite point
    with pytest.raises(MalformedMessage, match="no finite points: all 4 points"):
        pointcloud2_to_array(float_cloud(points), XYZ)


def test_an_empty_cloud_is_a_valid_measurement():
    msg = array_to_pointcloud2(np.zeros((0, 3)), XYZ, Time(), "radar")
    cloud = pointcloud2_to_array(msg, XYZ, optional=("intensity",))
    assert cloud.points.shape == (0, 4) and cloud.points.dtype == np.float32
    assert (cloud.dropped, cloud.missing) == (0, ("intensity",))
    bare = PointCloud2(height=1, width=0)  # a driver that fills in no fields when it sees nothing
    assert pointcloud2_to_array(bare, XYZ).points.shape == (0, 3)


def test_float64_values_beyond_float32_range_are_dropped():
    columns = {name: np.array([[1.0, 1e300]]) for name in XYZ}
    layout = {name: (PointField.FLOAT64, 8 * index) for index, name in enumerate(XYZ)}
    cloud = pointcloud2_to_array(make_cloud(columns, layout, point_step=24), XYZ)
    assert cloud.points.tolist() == [[1.0, 1.0, 1.0]]
    assert cloud.dropped == 1


def test_missing_optional_fields_read_as_zeros_and_are_reported():
    points = np.arange(6, dtype=np.float32).reshape(2, 3)
    cloud = pointcloud2_to_array(float_cloud(points), XYZ, optional=("rcs", "v_radial"))
    np.testing.assert_array_equal(cloud.points[:, :3], points)
    np.testing.assert_array_equal(cloud.points[:, 3:], 0)
    assert cloud.missing == ("rcs", "v_radial")


def test_array_to_pointcloud2_round_trips():
    points = np.random.default_rng(1).normal(size=(50, 5)).astype(np.float32)
    names = ("x", "y", "z", "rcs", "v_radial")
    msg = array_to_pointcloud2(points, names, Time(sec=5, nanosec=1), "radar")
    assert [(f.name, f.offset, f.datatype) for f in msg.fields] == [
        (name, 4 * i, PointField.FLOAT32) for i, name in enumerate(names)
    ]
    assert (msg.point_step, msg.row_step, msg.height, msg.width) == (20, 1000, 1, 50)
    assert msg.is_dense
    assert msg.header.frame_id == "radar"
    np.testing.assert_array_equal(pointcloud2_to_array(msg, names).points, points)


def test_array_to_pointcloud2_rejects_mismatched_names():
    with pytest.raises(ValueError):
        array_to_pointcloud2(np.zeros((3, 2)), XYZ, Time(), "lidar")
    with pytest.raises(ValueError):
        array_to_pointcloud2(np.zeros((3, 2)), ("x", "x"), Time(), "lidar")


def layout(names: str, datatype=PointField.FLOAT32, count=1) -> list[PointField]:
    return [PointField(name=n, offset=0, datatype=datatype, count=count) for n in names]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (dict(fields=layout("x")), "missing field: \\['y', 'z'\\]"),
        (dict(height=2, width=3), "too many points: 6 > max_points=5"),
        (dict(data=array.array("B", bytes(40))), "short data: 40 B"),
        (dict(row_step=40), "inconsistent layout: row_step 40 is shorter"),
        (dict(point_step=10), "inconsistent layout: field 'z' .* does not fit"),
        (dict(fields=layout("xyz", datatype=9)), "unknown datatype"),
        (dict(fields=layout("xyz", count=3)), "inconsistent layout: field 'x' has count 3"),
        (dict(fields=layout("xxyz")), "inconsistent layout: field 'x' appears 2 times"),
    ],
)
def test_malformed_clouds_say_why(change, reason):
    msg = float_cloud(np.zeros((4, 3), np.float32))
    for key, value in change.items():
        setattr(msg, key, value)
    with pytest.raises(MalformedMessage, match=reason) as raised:
        pointcloud2_to_array(msg, XYZ, max_points=5)
    assert str(raised.value).startswith(raised.value.category + ": ")


def point_fields(names: list[str]) -> st.SearchStrategy[PointField]:
    return st.builds(
        PointField,
        name=st.sampled_from(names),
        offset=st.integers(0, 12),
        datatype=st.sampled_from([*NUMPY_TYPES, *NUMPY_TYPES, 0, 9]),
        count=st.sampled_from([1] * 8 + [0, 2]),
    )


@st.composite
def random_clouds(draw) -> PointCloud2:
    """Mostly plausible layouts (xyz present, sizes near consistent) filled with random bytes."""
    xyz = [draw(point_fields([name])) for name in XYZ]
    extra = draw(st.lists(point_fields(["intensity", "rgb"]), max_size=2))
    near = st.sampled_from([0, 0, 0, 3, -1])
    height, width = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    ends = [f.offset + np.dtype(NUMPY_TYPES.get(f.datatype, "u1")).itemsize for f in xyz]
    point_step = max(0, max(ends) + draw(near))
    row_step = max(0, width * point_step + draw(near))
    size = max(0, height * row_step + draw(near))
    return PointCloud2(
        height=height,
        width=width,
        fields=draw(st.permutations(xyz + extra)),
        is_bigendian=draw(st.booleans()),
        point_step=point_step,
        row_step=row_step,
        data=draw(st.binary(min_size=size, max_size=size)),
    )


@settings(max_examples=300, deadline=None)
@given(random_clouds())
def test_random_clouds_give_finite_points_or_malformed(msg):
    try:
        cloud = pointcloud2_to_array(msg, XYZ, optional=("intensity",))
    except MalformedMessage:
        return
    assert cloud.points.dtype == np.float32
    assert cloud.points.shape == (msg.height * msg.width - cloud.dropped, 4)
    assert np.isfinite(cloud.points).all()


# --- agreement with the ROS reference implementations --------------------------------------


@pytest.mark.skipif(
    point_cloud2 is None,
    reason="sensor_msgs_py is not importable here (it ships with ROS apt packages, not PyPI)",
)
def test_clouds_agree_with_sensor_msgs_py():
    """Where upstream is defined: ``read_points`` ignores ``row_step`` (it reads the buffer as
    height x width contiguous points), so the reference holds only for clouds without row
    padding; padded rows are checked against hand-computed values below."""
    points, names, layout = _organised_points_with_a_nan()
    columns = {name: points[..., i] for i, name in enumerate(names)}
    msg = make_cloud(columns, layout, point_step=16)  # no gaps: older upstream needs itemsize
    reference = point_cloud2.read_points_numpy(msg, field_names=names, skip_nans=True)
    np.testing.assert_array_equal(pointcloud2_to_array(msg, names).points, reference)


def test_padded_organised_clouds_read_every_row_from_its_row_step():
    points, names, layout = _organised_points_with_a_nan()
    columns = {name: points[..., i] for i, name in enumerate(names)}
    msg = make_cloud(columns, layout, point_step=20, row_padding=12)
    flat = points.reshape(-1, len(names))
    expected = flat[np.isfinite(flat).all(axis=1)]  # row-major, the NaN point dropped
    cloud = pointcloud2_to_array(msg, names)
    np.testing.assert_array_equal(cloud.points, expected)
    assert cloud.dropped == 1


def _organised_points_with_a_nan():
    """A 2 x 5 organised cloud of float32 x y z intensity with one NaN point."""
    points = np.random.default_rng(2).normal(size=(2, 5, 4)).astype(np.float32)
    points[0, 1, 2] = np.nan
    names = (*XYZ, "intensity")
    layout = {name: (PointField.FLOAT32, 4 * i) for i, name in enumerate(names)}
    return points, names, layout


@pytest.mark.skipif(
    CvBridge is None,
    reason="cv_bridge is not importable here (it ships with ROS apt packages, not PyPI)",
)
@pytest.mark.parametrize("encoding", ["rgb8", "bgr8", "mono8"])
def test_images_agree_with_cv_bridge(encoding):
    pixels = random_rgb(6, 5)[..., : 1 if encoding == "mono8" else 3]
    msg = make_image(np.ascontiguousarray(pixels), encoding, padding=3)
    reference = CvBridge().imgmsg_to_cv2(msg, desired_encoding="rgb8")
    np.testing.assert_array_equal(image_to_rgb(msg), reference)


def test_an_empty_table_becomes_an_empty_cloud():
    """A frame without detections still publishes its (empty) ~/detections message."""
    msg = array_to_pointcloud2(np.zeros((0, 3), np.float32), ("x", "y", "z"), Time(sec=1), "f")
    assert (msg.width, msg.row_step, len(msg.data)) == (0, 0, 0)
    assert [f.name for f in msg.fields] == ["x", "y", "z"]
