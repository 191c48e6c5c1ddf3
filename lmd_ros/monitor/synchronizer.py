"""Approximate-time synchronisation of sensor streams that keeps going when a sensor dies.

``message_filters`` waits forever for a silent input; a diagnostics monitor must instead keep
emitting sets without that sensor, since its silence is exactly what it has to report.

Reference-stamp policy (the ApproximateTime pivot, made greedy): among the sources that are not
stale, take each one's oldest queued message; the latest of those stamps is the set's
reference. Queued messages older than ``reference - slop`` can never join this or a later set
and are dropped; once every live source still has a message, each contributes the queued
message closest to the reference (all within ``slop`` of it). A set is emitted as soon as
every live source can contribute, trading optimal pairing for latency. Set stamps strictly
increase (until a reset): a message not newer than the last set's stamp is dropped.

Time: ``stamp`` is the message's header stamp, ``now`` the caller's clock (wall or bag time),
used only to decide staleness. A source that never sent counts as silent since the first
``now`` this synchroniser saw. A stamp more than ``BAG_LOOP_JUMP_S`` behind the source's
previous one (a looping bag, a restarted driver) starts that source afresh and counts a reset;
smaller steps back, and repeated stamps, drop the message.

Unusable stamps: a source whose messages keep arriving but can never be matched must not hold
the others back (its fresh arrivals keep it from going stale). A live source is *unusable* —
left out of sets like a stale one, its queue dropped, the reason in ``unusable(now)`` — when
its stamp has not advanced while messages kept arriving for ``stale_after`` ("stamp not
advancing"), or when it has been in no set for ``stale_after`` and its stamps are more than
``stale_after`` off the others' (offset = stamp − arrival, compared to the median offset of the
live sources and of the receiving clock, so even two sources have a majority; transport
latency jitters by a tenth of a second under load, so ``slop`` would be too tight). It rejoins
as soon as its stamps advance and agree again.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

BAG_LOOP_JUMP_S = 1.0
"""A backwards stamp jump larger than this restarts the source instead of dropping the message."""


class DropReason(StrEnum):
    """Why a message left the synchroniser without being part of a set."""

    DUPLICATE = "duplicate"
    OUT_OF_ORDER = "out_of_order"
    OVERFLOW = "overflow"
    UNMATCHED = "unmatched"


@dataclass(frozen=True)
class SyncedSet:
    """Messages from the live sources, each within slop of ``stamp``; stale sources are absent."""

    stamp: float
    messages: dict[str, Any]
    stamps: dict[str, float]


@dataclass(frozen=True)
class _Queued:
    stamp: float
    data: Any


class Synchronizer:
    """Groups messages of several sources by header stamp; see the module docstring."""

    def __init__(
        self, sources: Sequence[str], slop: float, stale_after: float, queue_size: int = 8
    ) -> None:
        """``queue_size`` bounds each source's buffer (oldest dropped first); it should cover
        ``stale_after`` at the fastest source's rate so that waiting for a late source loses
        nothing. Camera images are large: it is also the memory bound.
        """
        if not sources or len(set(sources)) != len(sources):
            raise ValueError(f"sources must be non-empty and unique, got {list(sources)}")
        if slop < 0 or stale_after <= 0 or queue_size < 1:
            raise ValueError(
                f"need slop >= 0, stale_after > 0, queue_size >= 1; got {slop}, {stale_after}, "
                f"{queue_size}"
            )
        self.sources = tuple(sources)
        self.slop = slop
        self.stale_after = stale_after
        self.emitted = 0
        """Sets emitted so far."""
        self.resets = 0
        """Sources restarted after a backwards stamp jump."""
        self.dropped: dict[str, Counter[DropReason]] = {source: Counter() for source in sources}
        """Messages dropped, per source and reason."""
        self._queues: dict[str, deque[_Queued]] = {
            source: deque(maxlen=queue_size) for source in sources
        }
        self._last_stamp: dict[str, float | None] = dict.fromkeys(sources)
        self._last_arrival: dict[str, float | None] = dict.fromkeys(sources)
        self._offset: dict[str, float] = {}
        """Latest message's stamp minus its arrival time, per source."""
        self._advanced_at: dict[str, float] = {}
        """Arrival of the source's latest message whose stamp moved forward (or restarted)."""
        self._matched_at: dict[str, float] = {}
        """When the source last joined a set (or came back from silence)."""
        self._started: float | None = None
        self._earliest_next = -math.inf
        """No set may be stamped before this: set stamps strictly increase."""

    def push(self, source: str, stamp: float, data: Any, now: float) -> list[SyncedSet]:
        """Queue one message, then emit every set that has become complete."""
        queue = self._queues[source]
        if self._last_arrival[source] is None or self._is_stale(source, now):
            self._matched_at[source] = now
        self._last_arrival[source] = now
        self._offset[source] = stamp - now
        last = self._last_stamp[source]
        if last is None or stamp > last or stamp < last - BAG_LOOP_JUMP_S:
            self._advanced_at[source] = now
        if last is not None and stamp < last - BAG_LOOP_JUMP_S:
            self.resets += 1
            self._drop(source, len(queue), DropReason.UNMATCHED)
            queue.clear()
            self._earliest_next = -math.inf
        elif last is not None and stamp <= last:
            reason = DropReason.DUPLICATE if stamp == last else DropReason.OUT_OF_ORDER
            self._drop(source, 1, reason)
            return self.poll(now)
        if len(queue) == queue.maxlen:
            self._drop(source, 1, DropReason.OVERFLOW)
        queue.append(_Queued(stamp, data))
        self._last_stamp[source] = stamp
        return self.poll(now)

    def poll(self, now: float) -> list[SyncedSet]:
        """Emit every set that is complete at ``now``, e.g. because a source has gone stale."""
        if self._started is None:
            self._started = now
        unusable = self.unusable(now)
        for source in unusable:
            self._drop(source, len(self._queues[source]), DropReason.UNMATCHED)
            self._queues[source].clear()
        live = [source for source in self.sources
                if not self._is_stale(source, now) and source not in unusable]
        sets = []
        while live and (synced := self._next_set(live)) is not None:
            sets.append(synced)
        self.emitted += len(sets)
        return sets

    def staleness(self, now: float) -> dict[str, float | None]:
        """Seconds since each source's last message arrived (on ``now``); None if it never did."""
        return {
            source: None if arrival is None else now - arrival
            for source, arrival in self._last_arrival.items()
        }

    def unusable(self, now: float) -> dict[str, str]:
        """Live sources whose stamps cannot be matched, with the reason (module docstring)."""
        live = [source for source in self.sources
                if self._last_arrival[source] is not None and not self._is_stale(source, now)]
        if not live:
            return {}
        median = statistics.median([0.0, *(self._offset[source] for source in live)])
        reasons = {}
        for source in live:
            stuck = self._last_arrival[source] - self._advanced_at[source]
            off = self._offset[source] - median
            if stuck > self.stale_after:
                reasons[source] = f"stamp not advancing for {stuck:.2f} s " \
                                  f"(stuck at {self._last_stamp[source]:.3f})"
            elif now - self._matched_at[source] > self.stale_after and \
                    abs(off) > self.stale_after:
                reasons[source] = f"stamps {abs(off):.3g} s {'ahead of' if off > 0 else 'behind'}" \
                                  " the others"
        return reasons

    def queued(self) -> dict[str, int]:
        """Messages waiting in each source's buffer."""
        return {source: len(queue) for source, queue in self._queues.items()}

    def _is_stale(self, source: str, now: float) -> bool:
        arrival = self._last_arrival[source]
        silent_since = self._started if arrival is None else arrival
        return now - silent_since > self.stale_after

    def _next_set(self, live: list[str]) -> SyncedSet | None:
        """The next set from the live sources' queues, or None until each has a message."""
        queues = [self._queues[source] for source in live]
        while all(queues):
            reference = max(queue[0].stamp for queue in queues)
            for source in live:
                self._drop_older(source, max(reference - self.slop, self._earliest_next))
            if all(queues) and max(queue[0].stamp for queue in queues) == reference:
                return self._take(live, reference)
        return None

    def _take(self, live: list[str], reference: float) -> SyncedSet:
        """Remove and group each live source's message closest to ``reference``."""
        chosen = {}
        for source in live:
            closest = min(self._queues[source], key=lambda message: abs(message.stamp - reference))
            self._drop_older(source, closest.stamp)
            chosen[source] = self._queues[source].popleft()
            self._matched_at[source] = self._last_arrival[source]
        self._earliest_next = math.nextafter(reference, math.inf)
        return SyncedSet(
            stamp=reference,
            messages={source: message.data for source, message in chosen.items()},
            stamps={source: message.stamp for source, message in chosen.items()},
        )

    def _drop_older(self, source: str, limit: float) -> None:
        """Drop the source's queued messages stamped before ``limit``: no set can use them."""
        queue = self._queues[source]
        while queue and queue[0].stamp < limit:
            queue.popleft()
            self._drop(source, 1, DropReason.UNMATCHED)

    def _drop(self, source: str, count: int, reason: DropReason) -> None:
        if count:
            self.dropped[source][reason] += count
