"""A random traffic layout per seed whose motion is a closed-form function of time.

Every agent moves analytically (constant speed along the road, a gentle sinusoidal weave;
crossing pedestrians walk back and forth between the sidewalks), so any instant can be
computed without simulating the ones before it. The road is a loop of ``loop_length_m``
centred on the ego: whatever leaves one end re-enters at the other, far beyond sensor range,
so the traffic density around the ego stays steady for any drive length. All vehicles of a
lane share its speed and are spaced along it, so vehicles never overlap. Roadside radar
reflectors (when the config asks for them) stand still beside the road.
"""

from __future__ import annotations

import numpy as np

from lmd_ros.world import road
from lmd_ros.world.config import PEDESTRIAN, VEHICLE, WorldConfig
from lmd_ros.world.objects import Objects

EGO_SLOT_LENGTH = 12.0
"""Room kept free around the ego in its own lane (ego length plus safety gaps)."""
MIN_GAP = 4.0
CROSSING_HALF_SPAN = 11.0
REFLECTOR_SETBACK_M = (road.KERB[1], road.SIDEWALK[1] + 3.0)
"""How far from the road's centre line roadside radar reflectors stand (|y|)."""
REFLECTOR_RCS = (8.0, 4.0)
"""Mean and spread (dBsm) of a roadside reflector's RCS: poles, signs and railings are strong."""
VEHICLE_PALETTE = np.array(
    [
        [0.90, 0.90, 0.88],
        [0.08, 0.08, 0.10],
        [0.62, 0.64, 0.66],
        [0.70, 0.10, 0.10],
        [0.12, 0.22, 0.60],
        [0.10, 0.35, 0.18],
        [0.90, 0.75, 0.10],
    ]
)


class Scene:
    """The agents of one seed; :meth:`objects_at` places them relative to the ego at time t."""

    def __init__(self, seed: int, config: WorldConfig) -> None:
        rng = np.random.default_rng([seed])
        self.loop_length = config.loop_length_m
        self.ego_speed = float(rng.uniform(*config.ego_speed_range))
        parts = [
            *self._moving_vehicles(rng, config),
            self._parked_vehicles(rng, config, side=-1.0),
            self._parked_vehicles(rng, config, side=1.0),
            self._pedestrians(rng, config),
        ]
        self.agents = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
        self.reflectors = _roadside_reflectors(rng, config)

    def ego_x(self, t: float) -> float:
        """Ego position along the road (world x); the ego stays at the centre of its lane."""
        return self.ego_speed * t

    def objects_at(self, t: float) -> Objects:
        """Every agent at time ``t`` in the ego frame (the ego never turns on the straight road)."""
        a = self.agents
        weave = a["omega"] * t + a["phase"]
        x = a["x0"] + a["vx"] * t
        vx = a["vx"]
        y = a["y0"] + a["amp"] * np.sin(weave)
        vy = a["amp"] * a["omega"] * np.cos(weave)
        crossing = a["cross_speed"] > 0
        across, direction = _back_and_forth(a["cross_s0"] + a["cross_speed"] * t)
        y = np.where(crossing, across, y)
        vy = np.where(crossing, direction * a["cross_speed"], vy)
        moving = np.hypot(vx, vy) > 1e-6
        yaw = np.where(moving, np.arctan2(vy, vx), a["yaw"])
        half = self.loop_length / 2
        x_ego = np.mod(x - self.ego_x(t) + half, self.loop_length) - half
        boxes = np.column_stack([x_ego, y - road.EGO_LANE, a["size"][:, 2] / 2, a["size"], yaw])
        return Objects(
            boxes=boxes,
            classes=a["cls"].copy(),
            velocities=np.column_stack([vx, vy]),
            colours=a["colour"].copy(),
            reflectivity=a["reflectivity"].copy(),
            rcs=a["rcs"].copy(),
        )

    def reflectors_at(self, t: float) -> np.ndarray:
        """The roadside radar reflectors at time ``t``, (M, 4): x, y, z in ego and mean RCS."""
        half = self.loop_length / 2
        x = np.mod(self.reflectors[:, 0] - self.ego_x(t) + half, self.loop_length) - half
        return np.column_stack([x, self.reflectors[:, 1] - road.EGO_LANE, self.reflectors[:, 2:]])

    def _moving_vehicles(self, rng: np.random.Generator, config: WorldConfig) -> list[dict]:
        lanes = (*road.FORWARD_LANES, *road.ONCOMING_LANES)
        speeds = (
            self.ego_speed,
            max(3.0, self.ego_speed + rng.uniform(-3.0, 3.0)),
            -rng.uniform(7.0, 13.0),
            -rng.uniform(7.0, 13.0),
        )
        counts = rng.multinomial(rng.poisson(config.moving_vehicles), [0.25] * 4)
        parts = []
        for lane_y, speed, count in zip(lanes, speeds, counts, strict=True):
            sizes = _vehicle_sizes(rng, count)
            reserved = EGO_SLOT_LENGTH if lane_y == road.EGO_LANE else None
            x0 = _spaced_along_loop(rng, sizes[:, 0], self.loop_length, reserved)
            sizes = sizes[: len(x0)]
            weave = rng.uniform(0.0, 0.25, len(x0))
            parts.append(_agents(rng, VEHICLE, sizes, x0, speed, lane_y, weave))
        return parts

    def _parked_vehicles(self, rng: np.random.Generator, config: WorldConfig, side: float) -> dict:
        sizes = _vehicle_sizes(rng, rng.poisson(config.parked_vehicles / 2))
        x0 = _spaced_along_loop(rng, sizes[:, 0], self.loop_length, None)
        parked = _agents(rng, VEHICLE, sizes[: len(x0)], x0, 0.0, side * road.PARKING_CENTRE, 0.0)
        parked["yaw"] = rng.choice([0.0, np.pi], len(x0)) + rng.normal(0.0, 0.03, len(x0))
        return parked

    def _pedestrians(self, rng: np.random.Generator, config: WorldConfig) -> dict:
        n = rng.poisson(config.pedestrians)
        sizes = np.column_stack(
            [rng.uniform(0.5, 0.7, n), rng.uniform(0.5, 0.7, n), rng.uniform(1.55, 1.9, n)]
        )
        side = rng.choice([-1.0, 1.0], n)
        walkers = _agents(
            rng,
            PEDESTRIAN,
            sizes,
            rng.uniform(0.0, self.loop_length, n),
            rng.choice([-1.0, 1.0], n) * rng.uniform(0.8, 1.6, n),
            side * rng.uniform(road.SIDEWALK[0] + 0.5, road.SIDEWALK[1] - 0.5, n),
            rng.uniform(0.0, 0.2, n),
        )
        crossing = rng.random(n) < config.crossing_fraction
        walkers["vx"][crossing] = 0.0
        walkers["amp"][crossing] = 0.0
        walkers["cross_speed"] = np.where(crossing, rng.uniform(0.9, 1.5, n), 0.0)
        walkers["cross_s0"] = rng.uniform(0.0, 4 * CROSSING_HALF_SPAN, n)
        return walkers


def _roadside_reflectors(rng: np.random.Generator, config: WorldConfig) -> np.ndarray:
    """Static radar-only reflectors beside the road, (M, 4): world x, y, z and mean RCS.

    Poles, signs and railings: strong, still radar returns that the camera and LiDAR models
    leave out (they are thin) and the ground truth does not list.
    """
    n = rng.poisson(config.roadside_reflectors)
    side = rng.choice([-1.0, 1.0], n)
    return np.column_stack(
        [
            rng.uniform(0.0, config.loop_length_m, n),
            side * rng.uniform(*REFLECTOR_SETBACK_M, n),
            rng.uniform(0.3, 2.5, n),
            rng.normal(*REFLECTOR_RCS, n),
        ]
    )


def _back_and_forth(walked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position across the road (y) and walking direction (+1/-1) after ``walked`` metres of
    pacing from one sidewalk to the other and back."""
    span = 2 * CROSSING_HALF_SPAN
    lap = np.mod(walked, 2 * span)
    going = lap < span
    return -CROSSING_HALF_SPAN + np.where(going, lap, 2 * span - lap), np.where(going, 1.0, -1.0)


def _vehicle_sizes(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.column_stack(
        [rng.uniform(3.9, 5.2, n), rng.uniform(1.7, 2.1, n), rng.uniform(1.4, 1.9, n)]
    )


def _spaced_along_loop(
    rng: np.random.Generator, lengths: np.ndarray, loop: float, reserved: float | None
) -> np.ndarray:
    """Centres of non-overlapping vehicles around a loop, with ``MIN_GAP`` between them.

    With ``reserved``, a slot that long stays free centred on x = 0 (the ego's place).
    Vehicles that do not fit are left out (the returned array is then shorter).
    """
    slots = lengths + MIN_GAP
    room = loop - (reserved or 0.0)
    keep = int(np.searchsorted(np.cumsum(slots), room, side="right"))
    slots = slots[:keep]
    starts = np.sort(rng.uniform(0.0, room - slots.sum(), keep)) + np.cumsum(slots) - slots
    centres = starts + slots / 2
    if reserved is None:
        return np.mod(centres + rng.uniform(0.0, loop), loop)
    return centres + reserved / 2


def _agents(
    rng: np.random.Generator,
    cls: int,
    sizes: np.ndarray,
    x0: np.ndarray,
    vx: float | np.ndarray,
    y0: float | np.ndarray,
    amp: float | np.ndarray,
) -> dict[str, np.ndarray]:
    """Per-agent motion parameters and appearance, as arrays of one length."""
    n = len(x0)
    is_vehicle = cls == VEHICLE
    if is_vehicle:
        palette = VEHICLE_PALETTE[rng.integers(0, len(VEHICLE_PALETTE), n)]
        colour = np.clip(palette + rng.normal(0.0, 0.04, (n, 3)), 0.0, 1.0)
    else:
        colour = rng.uniform(0.1, 0.9, (n, 3))
    return {
        "cls": np.full(n, cls, dtype=np.int64),
        "size": sizes,
        "x0": np.asarray(x0, dtype=float),
        "vx": np.broadcast_to(np.asarray(vx, dtype=float), n).copy(),
        "y0": np.broadcast_to(np.asarray(y0, dtype=float), n).copy(),
        "amp": np.broadcast_to(np.asarray(amp, dtype=float), n).copy(),
        "omega": 2 * np.pi / rng.uniform(6.0, 14.0, n),
        "phase": rng.uniform(0.0, 2 * np.pi, n),
        "yaw": np.zeros(n),
        "cross_speed": np.zeros(n),
        "cross_s0": np.zeros(n),
        "colour": colour,
        "reflectivity": rng.uniform(0.35, 0.9, n) if is_vehicle else rng.uniform(0.15, 0.4, n),
        "rcs": rng.normal(10.0, 3.0, n) if is_vehicle else rng.normal(-4.0, 2.0, n),
    }
