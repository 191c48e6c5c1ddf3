"""The synchroniser: grouping by stamp, tolerance for late and dead sources, bounded memory."""

import itertools

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lmd_ros.monitor.synchronizer import BAG_LOOP_JUMP_S, DropReason, Synchronizer

SOURCES = ("camera/front", "camera/left", "radar", "lidar")
PERIOD = 0.1
SLOP = 0.02
STALE_AFTER = 0.5


def make_sync(queue_size: int = 8) -> Synchronizer:
    return Synchronizer(SOURCES, slop=SLOP, stale_after=STALE_AFTER, queue_size=queue_size)


def frame_stamps(count: int, start: float = 100.0) -> list[float]:
    return [start + PERIOD * i for i in range(count)]


def push_frame(sync, stamp, sources=SOURCES, latency=0.01, offsets=None):
    """Every source publishes ``stamp`` (plus its offset), arriving ``latency`` later."""
    sets = []
    for source in sources:
        source_stamp = stamp + (offsets or {}).get(source, 0.0)
        sets += sync.push(source, source_stamp, (source, source_stamp), now=stamp + latency)
    return sets


def test_perfect_sync_emits_one_complete_set_per_frame_when_the_last_source_arrives():
    sync = make_sync()
    for stamp in frame_stamps(5):
        for source in SOURCES[:-1]:
            assert sync.push(source, stamp, source, now=stamp) == []
        (synced,) = sync.push("lidar", stamp, "lidar", now=stamp)
        assert synced.stamp == stamp
        assert synced.messages == {source: source for source in SOURCES}
        assert synced.stamps == dict.fromkeys(SOURCES, stamp)
    assert sync.emitted == 5
    assert sync.queued() == dict.fromkeys(SOURCES, 0)
    assert all(not counts for counts in sync.dropped.values())


def test_jitter_within_slop_still_pairs_every_frame():
    rng = np.random.default_rng(0)
    sync, sets = make_sync(), []
    for stamp in frame_stamps(50):
        offsets = dict(zip(SOURCES, rng.uniform(-SLOP / 2, SLOP / 2, len(SOURCES)), strict=True))
        sets += push_frame(sync, stamp, offsets=offsets)
    assert len(sets) == 50
    for synced in sets:
        assert set(synced.messages) == set(SOURCES)
        assert all(abs(s - synced.stamp) <= SLOP for s in synced.stamps.values())
        assert synced.stamp == max(synced.stamps.values())
    assert [s.stamp for s in sets] == sorted(s.stamp for s in sets)


def test_every_frame_of_the_slower_source_pairs_with_the_faster_one_within_slop():
    sync, sets = Synchronizer(("camera", "lidar"), slop=0.03, stale_after=1.0), []
    events = [(t, "lidar") for t in np.arange(0, 1, 0.05)]  # 20 Hz
    events += [(t, "camera") for t in np.arange(0, 1, 1 / 12)]  # 12 Hz
    for stamp, source in sorted(events):
        sets += sync.push(source, float(stamp), float(stamp), now=float(stamp))
    assert [s.messages["camera"] for s in sets] == pytest.approx(np.arange(0, 1, 1 / 12))
    for synced in sets:
        assert abs(synced.messages["camera"] - synced.messages["lidar"]) <= 0.03
    assert sync.dropped["lidar"][DropReason.UNMATCHED] > 0


def test_each_source_contributes_its_message_closest_to_the_reference():
    sync = Synchronizer(("camera", "lidar"), slop=0.05, stale_after=STALE_AFTER)
    sync.push("camera", 1.00, "early", now=1.0)
    sync.push("camera", 1.03, "close", now=1.0)
    (synced,) = sync.push("lidar", 1.04, "lidar", now=1.0)
    assert synced.stamp == 1.04
    assert synced.messages == {"camera": "close", "lidar": "lidar"}
    assert sync.dropped["camera"] == {DropReason.UNMATCHED: 1}


def test_a_late_source_within_stale_after_is_waited_for():
    sync = make_sync()
    stamp = 100.0
    for source in SOURCES[:-1]:
        assert sync.push(source, stamp, source, now=stamp) == []
    assert sync.poll(now=stamp + STALE_AFTER - 0.01) == []
    (synced,) = sync.push("lidar", stamp, "lidar", now=stamp + STALE_AFTER - 0.01)
    assert set(synced.messages) == set(SOURCES)


def test_a_silent_source_is_left_out_after_stale_after_and_rejoins_when_it_returns():
    sync, emitted = make_sync(), []  # emitted: (now, set)
    stamps = frame_stamps(30)

    def run(frames, sources):
        for stamp in frames:
            emitted.extend((stamp + 0.01, s) for s in push_frame(sync, stamp, sources=sources))

    run(stamps[:10], SOURCES)
    lidar_silent_since = stamps[9] + 0.01
    run(stamps[10:20], SOURCES[:-1])
    without_lidar = [(now, s) for now, s in emitted if s.stamp in stamps[10:20]]
    # The others wait for the lidar for stale_after, then the backlog comes out: no frame lost.
    assert min(now for now, _ in without_lidar) > lidar_silent_since + STALE_AFTER
    assert [s.stamp for _, s in without_lidar] == stamps[10:20]
    assert all("lidar" not in s.messages for _, s in without_lidar)
    assert sync.staleness(now=stamps[19])["lidar"] == pytest.approx(stamps[19] - lidar_silent_since)

    run(stamps[20:], SOURCES)
    back = [s for _, s in emitted if s.stamp in stamps[20:]]
    assert [s.stamp for s in back] == stamps[20:]
    # Frame 20 completes before the lidar's first message is in; from then on it is back.
    assert "lidar" not in back[0].messages
    assert all(set(s.messages) == set(SOURCES) for s in back[1:])


def test_poll_emits_once_a_source_goes_stale_without_new_messages():
    sync = make_sync()
    assert sync.poll(now=100.0) == []  # starts the clock the never-seen lidar is silent on
    for source in SOURCES[:-1]:
        sync.push(source, 100.0, source, now=100.2)
    assert sync.poll(now=100.0 + STALE_AFTER) == []
    (synced,) = sync.poll(now=100.0 + STALE_AFTER + 0.01)
    assert set(synced.messages) == set(SOURCES[:-1])


def test_a_source_that_never_sent_counts_as_silent_from_the_first_call():
    sync = make_sync()
    assert sync.staleness(now=5.0) == dict.fromkeys(SOURCES)
    sets = []
    for i in range(8):
        sets += push_frame(sync, 5.0 + PERIOD * i, sources=SOURCES[:-1], latency=0.0)
    assert [s.stamp for s in sets] == pytest.approx([5.0 + PERIOD * i for i in range(8)])
    assert all("lidar" not in s.messages for s in sets)


def test_memory_stays_bounded_under_a_flood():
    sync = make_sync(queue_size=4)
    for i in range(10_000):
        sync.push("camera/front", 100.0 + i * 1e-4, i, now=100.0)
    assert sync.queued()["camera/front"] == 4
    assert sync.dropped["camera/front"][DropReason.OVERFLOW] == 10_000 - 4


def test_out_of_order_and_duplicate_stamps_are_dropped_and_counted():
    sync = Synchronizer(("camera", "lidar"), slop=SLOP, stale_after=STALE_AFTER)
    sync.push("camera", 10.0, "a", now=10.0)
    sync.push("camera", 9.9, "older", now=10.0)
    sync.push("camera", 10.0, "again", now=10.0)
    (synced,) = sync.push("lidar", 10.0, "l", now=10.0)
    assert synced.messages == {"camera": "a", "lidar": "l"}
    assert sync.dropped["camera"] == {DropReason.OUT_OF_ORDER: 1, DropReason.DUPLICATE: 1}


def test_a_bag_loop_restarts_the_timeline():
    sync, sets = make_sync(), []
    for stamp in frame_stamps(10):
        sets += push_frame(sync, stamp)
    looped = frame_stamps(5, start=100.0 - BAG_LOOP_JUMP_S)
    for stamp in looped:
        sets += push_frame(sync, stamp, latency=2.0)
    assert [s.stamp for s in sets[10:]] == looped
    assert sync.resets == len(SOURCES)


arrivals = st.lists(
    st.tuples(
        st.sampled_from(SOURCES),
        st.sampled_from([0.0, 0.01, 0.05, 0.1, 0.3, -0.05, -2.0]),  # stamp step of that source
        st.sampled_from([0.0, 0.02, 0.1, 0.7]),  # time since the previous arrival
    ),
    max_size=120,
)


@settings(max_examples=150, deadline=None)
@example(  # camera/left arrives after a set at its stamp went out without it
    [("camera/front", 0.0, 0.0), ("camera/front", 0.0, 0.7), ("camera/left", 0.0, 0.7)], False
)
@given(arrivals, st.booleans())
def test_any_arrival_order_keeps_the_invariants(events, poll_between):
    sync = make_sync(queue_size=3)
    stamps, now, sets, pushed = dict.fromkeys(SOURCES, 50.0), 0.0, [], 0
    for source, stamp_step, wait in events:
        stamps[source] += stamp_step
        now += wait
        sets += sync.push(source, stamps[source], (source, stamps[source]), now)
        pushed += 1
        if poll_between:
            sets += sync.poll(now)
        assert all(count <= 3 for count in sync.queued().values())
    used = sum(len(s.messages) for s in sets)
    dropped = sum(sum(counts.values()) for counts in sync.dropped.values())
    assert pushed == used + dropped + sum(sync.queued().values())
    assert sync.emitted == len(sets)
    for synced in sets:
        assert synced.stamp in synced.stamps.values()
        assert all(abs(stamp - synced.stamp) <= SLOP for stamp in synced.stamps.values())
        assert all(
            data == (source, synced.stamps[source]) for source, data in synced.messages.items()
        )
    if sync.resets == 0:
        assert all(a.stamp < b.stamp for a, b in itertools.pairwise(sets))


@pytest.mark.parametrize(
    "arguments",
    [((), 0.1, 1.0), (("a", "a"), 0.1, 1.0), (("a",), -0.1, 1.0), (("a",), 0.1, 0.0)],
)
def test_invalid_configuration_is_rejected(arguments):
    with pytest.raises(ValueError):
        Synchronizer(*arguments)


BAD_LIDAR_STAMPS = {
    "600 s ahead": (lambda stamp, i: stamp + 600.0, "stamps 600 s ahead of the others"),
    "600 s behind": (lambda stamp, i: stamp - 600.0, "stamps 600 s behind the others"),
    "zero": (lambda stamp, i: 0.0, "stamp not advancing"),
    "frozen": (lambda stamp, i: 100.0, "stamp not advancing"),
    "stepping back": (lambda stamp, i: stamp - 0.4 * i, "behind the others"),
}


@pytest.mark.parametrize("case", BAD_LIDAR_STAMPS)
def test_a_source_with_unmatchable_stamps_is_left_out_and_named_while_the_others_go_on(case):
    bad_stamp, reason = BAD_LIDAR_STAMPS[case]
    sync, sets = make_sync(), []
    stamps = frame_stamps(40)
    for i, stamp in enumerate(stamps):
        for source in SOURCES[:-1]:
            sets += sync.push(source, stamp, source, now=stamp + 0.01)
        sets += sync.push("lidar", bad_stamp(stamp, i), "lidar", now=stamp + 0.01)
        sets += sync.poll(stamp + 0.05)
    # Within stale_after (+ one period) the lidar is left out and every frame makes a set.
    late = [s for s in sets if s.stamp > stamps[0] + STALE_AFTER + 2 * PERIOD]
    assert len(late) >= len(stamps) - (STALE_AFTER + 2 * PERIOD) / PERIOD - 2, len(late)
    assert all(set(s.messages) == set(SOURCES[:-1]) for s in late)
    unusable = sync.unusable(stamps[-1] + 0.05)
    assert list(unusable) == ["lidar"] and reason in unusable["lidar"], unusable
    if case == "zero":
        assert unusable["lidar"].endswith("(stuck at 0.000)")


def test_an_unmatchable_source_rejoins_once_its_stamps_agree_again():
    sync, sets = make_sync(), []
    for i, stamp in enumerate(frame_stamps(40)):
        lidar_stamp = stamp + (600.0 if i < 20 else 0.0)
        sets += push_frame(sync, stamp, SOURCES[:-1])
        sets += sync.push("lidar", lidar_stamp, "lidar", now=stamp + 0.01)
        sets += sync.poll(stamp + 0.05)
    assert sync.unusable(104.05) == {}
    assert set(sets[-1].messages) == set(SOURCES)
    assert sum(set(s.messages) == set(SOURCES) for s in sets) >= 18


def test_a_late_but_matchable_source_is_not_called_unusable():
    """Stamps 0.3 s older than the others (a slow driver) still pair: nothing is left out."""
    sync, sets = make_sync(), []
    for stamp in frame_stamps(40):
        sets += push_frame(sync, stamp, SOURCES[:-1])
        sets += sync.push("lidar", stamp - 0.3, "lidar", now=stamp + 0.01)
    assert sync.unusable(104.0) == {}
    assert len(sets) >= 35 and all(set(s.messages) == set(SOURCES) for s in sets[-30:])
