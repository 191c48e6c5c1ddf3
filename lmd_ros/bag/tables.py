"""The analysis as tables: one row per detection, one per analysed frame, one per alarm span.

Columns (Parquet): ``detections`` — stamp, x y z l w h yaw, class_id, class, score, c_<m>…,
c_bias, s_<m>…, dep_<m>… (bool: the detection depends on m, `lmd_ros.monitor.dependency`),
logit (Σ c = logit up to float rounding); ``frames`` — stamp, time (record time the result
exists), detections, single_sensor_detections (those depending on one sensor alone),
single_sensor_<m> (those depending on m alone), s_<m> (score-weighted frame share, NaN without
detections), present_<m>; ``alarms`` — onset, clear (null while open), sensor, level, reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from lmd_ros.monitor.alarms import AlarmEvent, AlarmSpan
from lmd_ros.monitor.core import FrameRecord
from lmd_ros.monitor.synchronizer import SyncedSet
from lmd_ros.ros.outputs import BOX_FIELDS

DETECTIONS, FRAMES, ALARMS = "detections.parquet", "frames.parquet", "alarms.parquet"


class FrameTables:
    """A replay sink that collects the rows; ``write`` stores them."""

    def __init__(self, modalities: Sequence[str], class_names: Sequence[str]) -> None:
        self.modalities = tuple(modalities)
        self.class_names = tuple(class_names)
        self._detections: list[np.ndarray] = []
        self._frames: list[list[float]] = []

    def frame(self, record: FrameRecord, synced: SyncedSet, now: float) -> None:
        result = record.attribution
        n = len(result.detections)
        boxes = np.array([[getattr(d, f) for f in BOX_FIELDS] for d in result.detections],
                         dtype=np.float64).reshape(n, len(BOX_FIELDS))
        self._detections.append(np.concatenate(
            [np.full((n, 1), result.stamp), boxes, result.contributions, result.shares,
             result.dependencies, result.logits.reshape(n, 1)], axis=1))
        shares = result.frame_shares() or dict.fromkeys(self.modalities, np.nan)
        alone = result.single_sensor_counts()
        self._frames.append([result.stamp, now, n, *(alone[m] for m in self.modalities),
                             *(shares[m] for m in self.modalities),
                             *(result.present[m] for m in self.modalities)])

    def tick(self, now: float, events: list[AlarmEvent]) -> None:
        """Ticks add no rows."""

    def detections(self) -> pa.Table:
        names = ("stamp", *BOX_FIELDS, *(f"c_{m}" for m in self.modalities), "c_bias",
                 *(f"s_{m}" for m in self.modalities), *(f"dep_{m}" for m in self.modalities),
                 "logit")
        rows = (np.concatenate(self._detections) if self._detections
                else np.zeros((0, len(names))))
        columns = dict(zip(names, rows.T, strict=True))
        class_ids = columns["class_id"].astype(np.int64)
        columns["class_id"] = class_ids
        columns |= {f"dep_{m}": columns[f"dep_{m}"].astype(bool) for m in self.modalities}
        table = pa.table(columns)
        return table.add_column(names.index("class_id") + 1, "class",
                                pa.array([self.class_names[i] for i in class_ids], pa.string()))

    def frames(self) -> pa.Table:
        m = len(self.modalities)
        rows = np.array(self._frames, dtype=np.float64).reshape(len(self._frames), 3 + 3 * m)
        alone = rows[:, 3:3 + m].astype(np.int64)
        columns = {"stamp": rows[:, 0], "time": rows[:, 1],
                   "detections": rows[:, 2].astype(np.int64),
                   "single_sensor_detections": alone.sum(axis=1)}
        columns |= {f"single_sensor_{mod}": alone[:, k] for k, mod in enumerate(self.modalities)}
        columns |= {f"s_{mod}": rows[:, 3 + m + k] for k, mod in enumerate(self.modalities)}
        columns |= {f"present_{mod}": rows[:, 3 + 2 * m + k].astype(bool)
                    for k, mod in enumerate(self.modalities)}
        return pa.table(columns)

    def write(self, out: Path, timeline: Sequence[AlarmSpan]) -> None:
        pq.write_table(self.detections(), out / DETECTIONS)
        pq.write_table(self.frames(), out / FRAMES)
        pq.write_table(alarm_table(timeline), out / ALARMS)


def alarm_table(timeline: Sequence[AlarmSpan]) -> pa.Table:
    return pa.table({
        "onset": pa.array([s.onset for s in timeline], pa.float64()),
        "clear": pa.array([s.clear for s in timeline], pa.float64()),
        "sensor": pa.array([s.sensor for s in timeline], pa.string()),
        "level": pa.array([s.level.name for s in timeline], pa.string()),
        "reason": pa.array([s.reason for s in timeline], pa.string()),
    })
