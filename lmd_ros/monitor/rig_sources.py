"""The rig from its sources: CameraInfo, ``/tf_static``, the calibration file.

Per sensor and part (documented in the README, "Your vehicle"):

1. intrinsics and image size from the camera's ``CameraInfo``; extrinsics from ``/tf_static``
   (ego frame → the sensor's frame id: the CameraInfo's, or the one its messages carry);
2. what they do not give, from the calibration file (``calibration_file``) — or, without one,
   from the shipped default rig's sensor of the same name — the fallback;
3. with ``calibration_override``, the file wins for every sensor it names.

Each sensor's origin is reported (`origin`, on /diagnostics). A sensor none of these describes
is left out of frames rather than guessed. Camera distortion: `lmd_ros.ros.calibration_messages`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lmd_ros.sensors import CameraCalibration, Rig, SensorCalibration
from lmd_ros.transforms import StaticTransform, TransformTree


@dataclass(frozen=True)
class CameraIntrinsics:
    """What a CameraInfo says: image size, pinhole K of the images it describes, frame id."""

    width: int
    height: int
    K: np.ndarray
    frame_id: str

    def same_as(self, other: CameraIntrinsics | None) -> bool:
        return other is not None and (self.width, self.height, self.frame_id) == (
            other.width, other.height, other.frame_id) and np.array_equal(self.K, other.K)


class RigSources:
    """Resolves the rig of the configured sensors as calibration arrives; see the module doc."""

    def __init__(self, cameras: Sequence[str], radars: Sequence[str], lidars: Sequence[str],
                 ego_frame: str, file_rig: Rig | None, fallback: Rig | None,
                 override: bool = False) -> None:
        self._names = {"camera": tuple(cameras), "radar": tuple(radars), "lidar": tuple(lidars)}
        self.ego_frame = ego_frame
        self._file = file_rig
        self._fallback = fallback
        self._file_label = "calibration file" if file_rig else "shipped default rig"
        self.override = override
        self._intrinsics: dict[str, CameraIntrinsics] = {}
        self._seen_frames: dict[str, str] = {}
        self._tree = TransformTree()
        self._rig: Rig | None = None
        self._origin: dict[str, str] = {}

    def camera_info(self, name: str, intrinsics: CameraIntrinsics) -> None:
        if not intrinsics.same_as(self._intrinsics.get(name)):
            self._intrinsics[name] = intrinsics
            self._rig = None

    def transforms(self, transforms: Sequence[StaticTransform]) -> None:
        for transform in transforms:
            self._tree.add(transform)
        self._rig = None

    def saw_frame(self, source: str, frame_id: str) -> None:
        """The frame id a sensor's messages carry: how a range sensor is found in ``/tf_static``."""
        if frame_id and self._seen_frames.get(source) != frame_id:
            self._seen_frames[source] = frame_id
            self._rig = None

    def expected_frame(self, source: str) -> str | None:
        """The frame id the source's messages must carry, or None while that is not fixed (a
        range sensor found in ``/tf_static`` through the frame id its messages carry)."""
        kind, name = source.split("/", 1)
        sensor = self._calibrated(kind, name)
        if sensor is None or self._origin.get(source) == "extrinsics: /tf_static":
            return None
        return sensor.frame_id

    @property
    def origin(self) -> dict[str, str]:
        """Per source (``camera/front``): where its calibration came from, or what it lacks."""
        self.rig  # noqa: B018 - resolves the rig, which records the origins
        return self._origin

    @property
    def rig(self) -> Rig:
        """The calibrated sensors (possibly none of a kind)."""
        if self._rig is None:
            self._rig = self._resolve()
        return self._rig

    def _calibrated(self, kind: str, name: str) -> CameraCalibration | SensorCalibration | None:
        rig = self.rig
        try:
            return rig.camera(name) if kind == "camera" else rig.range_sensor(kind, name)
        except KeyError:
            return None

    def _resolve(self) -> Rig:
        self._origin = {}
        cameras = tuple(c for n in self._names["camera"] if (c := self._camera(n)) is not None)
        ranges = {kind: tuple(s for n in self._names[kind]
                              if (s := self._range_sensor(kind, n)) is not None)
                  for kind in ("radar", "lidar")}
        return Rig(cameras, ranges["lidar"], ranges["radar"], self.ego_frame)

    def _camera(self, name: str) -> CameraCalibration | None:
        source = f"camera/{name}"
        known = _find_camera(self._file or self._fallback, name)
        if self.override and known is not None:
            self._origin[source] = f"{self._file_label} (override)"
            return known
        intrinsics = self._intrinsics.get(name)
        if intrinsics is None and known is None:
            self._origin[source] = "no calibration: no camera_info yet and none in the file"
            return None
        frame_id = intrinsics.frame_id if intrinsics else known.frame_id
        T = self._tree.lookup(self.ego_frame, frame_id)
        if T is None and known is None:
            self._origin[source] = (f"no extrinsics: /tf_static has no {self.ego_frame} → "
                                   f"{frame_id} and the file has no camera {name!r}")
            return None
        intrinsics_from = "camera_info" if intrinsics else self._file_label
        extrinsics_from = "/tf_static" if T is not None else self._file_label
        self._origin[source] = f"intrinsics: {intrinsics_from}; extrinsics: {extrinsics_from}"
        if intrinsics is None:
            return dataclasses.replace(known, T_ego_camera=T) if T is not None else known
        return CameraCalibration(name, intrinsics.width, intrinsics.height, intrinsics.K,
                                 known.T_ego_camera if T is None else T, frame_id)

    def _range_sensor(self, kind: str, name: str) -> SensorCalibration | None:
        source = f"{kind}/{name}"
        known = _find_range(self._file or self._fallback, kind, name)
        if self.override and known is not None:
            self._origin[source] = f"{self._file_label} (override)"
            return known
        frame_id = self._seen_frames.get(source) or (known.frame_id if known else "")
        T = self._tree.lookup(self.ego_frame, frame_id) if frame_id else None
        if T is not None:
            self._origin[source] = "extrinsics: /tf_static"
            return SensorCalibration(name, T, frame_id)
        if known is not None:
            self._origin[source] = f"extrinsics: {self._file_label}"
            return known
        self._origin[source] = (f"no calibration: /tf_static has no {self.ego_frame} → "
                               f"{frame_id or '(no message yet)'} and none in the file")
        return None


def _find_camera(rig: Rig | None, name: str) -> CameraCalibration | None:
    return next((c for c in rig.cameras if c.name == name), None) if rig else None


def _find_range(rig: Rig | None, kind: str, name: str) -> SensorCalibration | None:
    return next((s for s in rig.range_sensors(kind) if s.name == name), None) if rig else None
