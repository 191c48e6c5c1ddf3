"""Conversions between ROS sensor messages and numpy arrays, usable without a node.

Whatever a message can get wrong is reported as one exception type, ``MalformedMessage``, so a
subscriber can drop a bad message with a single ``except`` and keep running; any other
exception means a bug on our side, not bad input.
"""

from __future__ import annotations

import array
import io
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from builtin_interfaces.msg import Time
from PIL import Image as PILImage
from sensor_msgs.msg import CompressedImage, Image, PointCloud2, PointField
from std_msgs.msg import Header

_NANOS_PER_SECOND = 1_000_000_000
_INT32 = range(-(2**31), 2**31)

_IMAGE_CHANNELS = {"rgb8": 3, "bgr8": 3, "mono8": 1}
_COMPRESSED_NAMES = ("jpeg", "jpg", "png")

_FIELD_TYPES = {
    PointField.INT8: "i1",
    PointField.UINT8: "u1",
    PointField.INT16: "i2",
    PointField.UINT16: "u2",
    PointField.INT32: "i4",
    PointField.UINT32: "u4",
    PointField.FLOAT32: "f4",
    PointField.FLOAT64: "f8",
}


class MalformedMessage(ValueError):
    """A message that cannot be read as the data it claims to carry.

    ``category`` is a short fixed phrase to count rejections by (diagnostics); the text is
    ``"<category>: <details>"``.
    """

    def __init__(self, category: str, details: str) -> None:
        super().__init__(f"{category}: {details}")
        self.category = category


@dataclass(frozen=True)
class CloudArray:
    """Points read from a PointCloud2, and what had to be removed or filled in to get them.

    ``points``: (N, F) float32, every value finite, columns in the requested field order.
    ``dropped``: points removed because a read field was NaN or infinite (or beyond float32).
    ``missing``: optional fields the message lacks; their columns are zeros.
    """

    points: np.ndarray
    dropped: int
    missing: tuple[str, ...]


def stamp_to_seconds(stamp: Time) -> float:
    """Seconds as the float nearest to the stamp (one rounding, from exact integer nanoseconds)."""
    return (stamp.sec * _NANOS_PER_SECOND + stamp.nanosec) / _NANOS_PER_SECOND


def seconds_to_stamp(seconds: float) -> Time:
    """The stamp nearest to ``seconds`` (exact float value rounded to a nanosecond).

    Round trips with ``stamp_to_seconds`` are nanosecond-exact while a float resolves half a
    nanosecond, i.e. for |seconds| < 2**22 (about 48 days); epoch stamps keep ~0.2 µs.
    """
    try:
        nanos = round(Fraction(seconds) * _NANOS_PER_SECOND)
    except (OverflowError, ValueError) as error:
        raise ValueError(f"cannot make a stamp from {seconds!r} s") from error
    sec, nanosec = divmod(nanos, _NANOS_PER_SECOND)
    if sec not in _INT32:
        raise ValueError(f"{seconds!r} s is outside the int32 seconds range of a ROS stamp")
    return Time(sec=sec, nanosec=nanosec)


MAX_IMAGE_PIXELS = 3840 * 2160
"""Default bound on an image's pixels (4K UHD): larger images are refused before decoding."""


def _check_size(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise MalformedMessage(
            "image too large", f"{width} x {height} pixels > max_image_pixels={max_pixels}")


def image_to_rgb(msg: Image, max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """H x W x 3 uint8 RGB from an rgb8, bgr8 or mono8 image, honouring ``step`` row padding.

    An unpadded rgb8 image comes back as a zero-copy view of ``msg.data`` (writing to it writes
    to the message); every other layout is copied into a C-contiguous array.
    """
    channels = _IMAGE_CHANNELS.get(msg.encoding)
    if channels is None:
        raise MalformedMessage(
            "unsupported encoding", f"{msg.encoding!r}; expected one of {list(_IMAGE_CHANNELS)}"
        )
    height, width, step = msg.height, msg.width, msg.step
    if height == 0 or width == 0:
        raise MalformedMessage("empty image", f"{width} x {height} pixels")
    _check_size(width, height, max_pixels)
    row_bytes = width * channels
    data = _checked_rows(msg.data, height, ("step", step), row_bytes,
                         f"a row of {width} {msg.encoding} pixels")
    pixels = data[: height * step].reshape(height, step)[:, :row_bytes]
    pixels = pixels.reshape(height, width, channels)
    if msg.encoding == "bgr8":
        return pixels[..., ::-1].copy()
    if msg.encoding == "mono8":
        return np.repeat(pixels, 3, axis=2)
    return np.ascontiguousarray(pixels)


def compressed_image_to_rgb(msg: CompressedImage, max_pixels: int = MAX_IMAGE_PIXELS
                            ) -> np.ndarray:
    """H x W x 3 uint8 RGB decoded from a JPEG or PNG ``CompressedImage``.

    ``format`` must name jpeg/jpg/png (image_transport's "rgb8; jpeg compressed bgr8" does);
    the bytes themselves decide which of the two decoders runs. The size declared in the header
    (PNG IHDR, JPEG SOF; opening reads only that) is checked against ``max_pixels`` before
    anything is decoded: a 200 KB PNG may declare 9000 x 9000 pixels (a decompression bomb).
    """
    if not any(name in msg.format.lower() for name in _COMPRESSED_NAMES):
        raise MalformedMessage("unsupported format", f"{msg.format!r}; expected jpeg or png")
    try:
        with PILImage.open(io.BytesIO(msg.data), formats=("JPEG", "PNG")) as image:
            _check_size(*image.size, max_pixels)
            return np.array(image.convert("RGB"))
    except MalformedMessage:
        raise
    # Pillow reports corrupt PNG chunks as SyntaxError, alongside OSError for the rest.
    except (OSError, SyntaxError, ValueError, PILImage.DecompressionBombError) as error:
        raise MalformedMessage("undecodable image", f"{msg.format!r}: {error}") from error


def rgb_to_image(rgb: np.ndarray, stamp: Time, frame_id: str) -> Image:
    """An unpadded rgb8 ``Image`` holding a copy of an H x W x 3 uint8 array."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an H x W x 3 uint8 array, got {rgb.shape} {rgb.dtype}")
    height, width, _ = rgb.shape
    return Image(
        header=Header(stamp=stamp, frame_id=frame_id),
        height=height,
        width=width,
        encoding="rgb8",
        is_bigendian=0,
        step=3 * width,
        data=_byte_array(rgb),
    )


def pointcloud2_to_array(
    msg: PointCloud2,
    fields: Sequence[str],
    optional: Sequence[str] = (),
    max_points: int = 2_000_000,
) -> CloudArray:
    """Read ``fields`` then ``optional`` by name into (N, F) float32 points.

    Each field is read with its own datatype, offset and the cloud's endianness, honouring
    ``point_step``, ``row_step`` and organised (height > 1) clouds. A missing required field
    is malformed; a missing optional one reads as zeros and is listed in ``missing``. Points
    with a non-finite value are dropped and counted; a cloud with no finite point at all is
    malformed (a sensor fault, not a scene). An empty cloud (no points) is a valid
    measurement: (0, F) points. A cloud with more than ``max_points``
    points is rejected rather than subsampled: the model should not silently see less than was
    sent, and the check runs before anything is allocated.
    """
    height, width = msg.height, msg.width
    count = height * width
    names = (*fields, *optional)
    if count == 0:  # a radar that sees no targets: a valid, empty measurement
        return CloudArray(np.zeros((0, len(names)), np.float32), 0,
                          tuple(name for name in optional if not _has_field(msg, name)))
    if count > max_points:
        raise MalformedMessage("too many points", f"{count} > max_points={max_points}")
    absent = [name for name in fields if not _has_field(msg, name)]
    if absent:
        raise MalformedMessage(
            "missing field", f"{absent}; the cloud has {[field.name for field in msg.fields]}"
        )
    point_step, row_step = msg.point_step, msg.row_step
    data = _checked_rows(msg.data, height, ("row_step", row_step), width * point_step,
                         f"{width} points of point_step {point_step}")
    points = np.zeros((count, len(names)), dtype=np.float32)
    byte_order = ">" if msg.is_bigendian else "<"
    with np.errstate(over="ignore", invalid="ignore"):
        for column, name in enumerate(names):
            if _has_field(msg, name):
                dtype, offset = _field_layout(msg, name, byte_order)
                points[:, column] = np.ndarray(
                    (height, width), dtype, data, offset, (row_step, point_step)
                ).ravel()
    finite = np.isfinite(points).all(axis=1)
    kept = int(finite.sum())
    if kept == 0:
        raise MalformedMessage("no finite points", f"all {count} points have a NaN or inf value")
    return CloudArray(
        points=points if kept == count else points[finite],
        dropped=count - kept,
        missing=tuple(name for name in optional if not _has_field(msg, name)),
    )


def array_to_pointcloud2(
    points: np.ndarray, field_names: Sequence[str], stamp: Time, frame_id: str
) -> PointCloud2:
    """An unorganised little-endian FLOAT32 cloud with one field per column of ``points``."""
    values = np.asarray(points)
    if values.ndim != 2 or values.shape[1] != len(field_names):
        raise ValueError(f"expected (N, {len(field_names)}) points, got shape {values.shape}")
    if len(set(field_names)) != len(field_names):
        raise ValueError(f"field names must be unique, got {list(field_names)}")
    values = np.ascontiguousarray(values, dtype="<f4")
    point_step = 4 * len(field_names)
    return PointCloud2(
        header=Header(stamp=stamp, frame_id=frame_id),
        height=1,
        width=len(values),
        fields=[
            PointField(name=name, offset=4 * index, datatype=PointField.FLOAT32, count=1)
            for index, name in enumerate(field_names)
        ],
        is_bigendian=False,
        point_step=point_step,
        row_step=point_step * len(values),
        data=_byte_array(values),
        is_dense=bool(np.isfinite(values).all()),
    )


def _has_field(msg: PointCloud2, name: str) -> bool:
    return any(field.name == name for field in msg.fields)


def _field_layout(msg: PointCloud2, name: str, byte_order: str) -> tuple[np.dtype, int]:
    """The numpy dtype and byte offset of a scalar field, checked to fit inside a point."""
    matches = [field for field in msg.fields if field.name == name]
    if len(matches) > 1:
        raise MalformedMessage(
            "inconsistent layout", f"field {name!r} appears {len(matches)} times"
        )
    field = matches[0]
    if field.datatype not in _FIELD_TYPES:
        raise MalformedMessage("unknown datatype", f"field {name!r} has datatype {field.datatype}")
    if field.count != 1:
        raise MalformedMessage(
            "inconsistent layout", f"field {name!r} has count {field.count}; expected 1 (a scalar)"
        )
    dtype = np.dtype(byte_order + _FIELD_TYPES[field.datatype])
    if field.offset + dtype.itemsize > msg.point_step:
        raise MalformedMessage(
            "inconsistent layout",
            f"field {name!r} ({dtype.itemsize} B at offset {field.offset}) does not fit in "
            f"point_step {msg.point_step}",
        )
    return dtype, field.offset


def _byte_view(data: array.array | bytes) -> np.ndarray:
    """A uint8 view of a message's ``data`` without copying it."""
    return np.frombuffer(data, dtype=np.uint8)


def _checked_rows(raw: array.array | bytes, height: int, stride: tuple[str, int],
                  row_bytes: int, row: str) -> np.ndarray:
    """The bytes of a row-strided message (image or cloud), once its layout is known to fit."""
    name, step = stride
    if step < row_bytes:
        raise MalformedMessage(
            "inconsistent layout", f"{name} {step} is shorter than {row} ({row_bytes} B)"
        )
    data = _byte_view(raw)
    if data.size < height * step:
        raise MalformedMessage(
            "short data", f"{data.size} B, fewer than height x {name} = {height} x {step}"
        )
    return data


def _byte_array(values: np.ndarray) -> array.array:
    """The bytes of an array in the ``array('B')`` form message ``data`` fields store."""
    data = array.array("B")
    data.frombytes(np.ascontiguousarray(values).reshape(-1).view(np.uint8))
    return data
