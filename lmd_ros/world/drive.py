"""A drive: the world seen through the rig, frame by frame, with faults injected on schedule."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from lmd_ros.sensors import CameraCalibration, GroundTruth, Rig, SensorCalibration, SensorFrame
from lmd_ros.world import camera, effects, lidar, lighting, radar
from lmd_ros.world.config import WorldConfig
from lmd_ros.world.faults import Fault
from lmd_ros.world.objects import Objects
from lmd_ros.world.rig import default_rig
from lmd_ros.world.scene import Scene

LIDAR_STREAM, RADAR_STREAM, CAMERA_STREAM = 1, 2, 10
"""Per-frame random streams; camera k draws from ``CAMERA_STREAM + k``. Fault effects draw
from a sub-stream of their sensor's, so a fault never changes the sensor's clean noise; so do
the extras of a driving condition (rain spray), so they add to the clean data, not reshuffle it."""
FAULT_SUBSTREAM, WEATHER_SUBSTREAM, GLARE_STREAM = 1, 2, 3


class Drive:
    """``seed`` fixes the traffic layout; frame i is the world at stamp ``i / config.rate_hz``.

    Frames are random-access and deterministic: object motion is closed-form in time and each
    frame's noise comes from generators seeded by (seed, i, sensor).
    """

    def __init__(
        self,
        seed: int = 0,
        config: WorldConfig | None = None,
        rig: Rig | None = None,
        faults: Iterable[Fault] = (),
    ) -> None:
        self.seed = seed
        self.config = WorldConfig() if config is None else config
        self.rig = default_rig() if rig is None else rig
        self.faults: tuple[Fault, ...] = tuple(faults)
        cameras = [cam.name for cam in self.rig.cameras]
        for fault in self.faults:
            if fault.target is not None and fault.target not in cameras:
                raise ValueError(f"fault {fault} targets unknown camera; cameras: {cameras}")
        self.scene = Scene(seed, self.config)
        self._pixel_rays = [camera.pixel_rays(cam) for cam in self.rig.cameras]
        self._beam_rays = lidar.beam_rays(self.config, self.rig.lidar)
        self._misaligned_cameras = {
            (k, fault.severity): _misaligned_camera(cam, fault.severity)
            for fault in self.faults
            if fault.kind == "camera_misaligned"
            for k, cam in enumerate(self.rig.cameras)
            if fault.hits_camera(cam.name)
        }

    def __len__(self) -> int:
        return self.config.frame_count

    def __iter__(self) -> Iterator[tuple[SensorFrame, GroundTruth]]:
        return (self.frame(i) for i in range(len(self)))

    def stamp(self, i: int) -> float:
        return i / self.config.rate_hz

    def frame(self, i: int) -> tuple[SensorFrame, GroundTruth]:
        """All sensor data and the ground truth at frame ``i``."""
        if not 0 <= i < len(self):
            raise IndexError(f"frame {i} outside the drive's {len(self)} frames")
        stamp = self.stamp(i)
        objects = self.scene.objects_at(stamp)
        active = [f for f in self.faults if f.active(stamp)]
        kinds = {f.kind for f in active}
        images = {
            cam.name: self._image(k, i)
            for k, cam in enumerate(self.rig.cameras)
            if not any(f.kind == "camera_silent" and f.hits_camera(cam.name) for f in active)
        }
        frame = SensorFrame(
            stamp=stamp,
            images=images,
            lidar=None if "lidar_silent" in kinds else self._lidar(i, objects, active),
            radar=None if "radar_silent" in kinds else self._radar(i, objects, active),
        )
        return frame, self._ground_truth(objects)

    def _image(self, k: int, i: int) -> np.ndarray:
        """Camera k's image at frame i; a frozen camera repeats its image from the fault onset."""
        name = self.rig.cameras[k].name
        for fault in self.faults:
            if fault.kind == "camera_frozen" and fault.hits_camera(name):
                onset = math.ceil(fault.start_s * self.config.rate_hz - 1e-9)
                if onset < i and fault.active(self.stamp(i)):
                    return self._live_image(k, onset)
        return self._live_image(k, i)

    def _live_image(self, k: int, i: int) -> np.ndarray:
        cal, rays = self.rig.cameras[k], self._pixel_rays[k]
        stamp = self.stamp(i)
        active = [f for f in self.faults if f.active(stamp) and f.hits_camera(cal.name)]
        misalignment = _worst(active, ("camera_misaligned",))
        if misalignment:
            cal, rays = self._misaligned_cameras[k, misalignment]
        fog = effects.FOG_EXTINCTION * _worst(active, ("fog", "camera_fog"))
        ego_x = self.scene.ego_x(stamp)
        rgb = camera.render(cal, rays, self.scene.objects_at(stamp), ego_x, fog, self.config)
        image = rgb * 255.0
        for fault in active:
            if fault.kind == "camera_blur":
                image = effects.blur(image, fault.severity)
        for fault in active:
            if fault.kind == "camera_glare":
                image = effects.glare(image, fault.severity, self._glare_centre(fault, k))
        rng = self._rng(i, CAMERA_STREAM + k)
        gain = 1 / math.sqrt(lighting.ambient(self.config, ego_x))  # the camera's, in low light
        image = image + rng.normal(0.0, self.config.camera_noise_std * gain, image.shape)
        for fault in active:
            if fault.kind == "camera_blackout":
                image = effects.blackout(image, fault.severity)
        return np.clip(np.rint(image), 0, 255).astype(np.uint8)

    def _glare_centre(self, fault: Fault, k: int) -> tuple[float, float]:
        """Where the glare blooms: fixed for the fault's whole window, in the upper image."""
        cal = self.rig.cameras[k]
        rng = np.random.default_rng([self.seed, self.faults.index(fault), k, GLARE_STREAM])
        return rng.uniform(0.0, 0.5) * cal.height, rng.uniform(0.1, 0.9) * cal.width

    def _lidar(self, i: int, objects: Objects, active: Sequence[Fault]) -> np.ndarray:
        config = self.config
        limit = _worst(active, ("lidar_range_limit",))
        max_range = config.lidar_max_range_m * (1 - (1 - effects.RANGE_LIMIT_FLOOR) * limit)
        fog = effects.FOG_EXTINCTION * _worst(active, ("fog",))
        ego_x = self.scene.ego_x(self.stamp(i))
        rng = self._rng(i, LIDAR_STREAM)
        points = lidar.sweep(
            self.rig.lidar, self._beam_rays, objects, ego_x, config, rng, max_range, fog
        )
        spray = lidar.spray(self.rig.lidar, config.lidar_spray,
                            self._rng(i, LIDAR_STREAM, WEATHER_SUBSTREAM))
        points = np.concatenate([points, spray])
        points = _misaligned(points, self.rig.lidar, _worst(active, ("lidar_misaligned",)))
        fault_rng = self._rng(i, LIDAR_STREAM, FAULT_SUBSTREAM)
        for fault in active:
            if fault.kind == "lidar_noise":
                points = effects.jitter_ranges(points, fault.severity, fault_rng)
            elif fault.kind == "lidar_dropout":
                points = effects.drop(points, fault.severity, fault_rng)
        return points

    def _radar(self, i: int, objects: Objects, active: Sequence[Fault]) -> np.ndarray:
        ego_velocity = np.array([self.scene.ego_speed, 0.0])
        reflectors = self.scene.reflectors_at(self.stamp(i))
        points = radar.scan(self.rig.radar, objects, ego_velocity, self.config,
                            self._rng(i, RADAR_STREAM), reflectors)
        points = _misaligned(points, self.rig.radar, _worst(active, ("radar_misaligned",)))
        fault_rng = self._rng(i, RADAR_STREAM, FAULT_SUBSTREAM)
        for fault in active:
            if fault.kind == "radar_dropout":
                points = effects.drop(points, fault.severity, fault_rng)
            elif fault.kind == "radar_ghosts":
                extra = effects.ghosts(fault.severity, self.config.radar_max_range_m, fault_rng)
                points = np.concatenate([points, extra])
        return points

    def _ground_truth(self, objects: Objects) -> GroundTruth:
        """Objects whose centre is within ``gt_range_m``; velocities are over ground, ego axes."""
        near = np.linalg.norm(objects.boxes[:, :2], axis=1) <= self.config.gt_range_m
        return GroundTruth(
            boxes=objects.boxes[near].copy(),
            classes=objects.classes[near].copy(),
            velocities=objects.velocities[near].copy(),
        )

    def _rng(self, i: int, *stream: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, i, *stream])


def _worst(faults: Iterable[Fault], kinds: tuple[str, ...]) -> float:
    """The highest severity among the given kinds of fault (0 when none is active)."""
    return max((f.severity for f in faults if f.kind in kinds), default=0.0)


def _misaligned_camera(
    cal: CameraCalibration, severity: float
) -> tuple[CameraCalibration, np.ndarray]:
    """A camera knocked out of its mounting, and its pixel rays (computed once per fault)."""
    knocked_pose = effects.knocked_pose(cal.T_ego_camera, severity)
    knocked = dataclasses.replace(cal, T_ego_camera=knocked_pose)
    return knocked, camera.pixel_rays(knocked)


def _misaligned(points: np.ndarray, cal: SensorCalibration, severity: float) -> np.ndarray:
    """A range sensor's points as a knocked sensor reports them (unchanged at severity 0)."""
    if not severity:
        return points
    knocked = effects.knocked_pose(cal.T_ego_sensor, severity)
    return effects.reframe(points, cal.T_ego_sensor, knocked)
