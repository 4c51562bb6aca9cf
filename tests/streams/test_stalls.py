"""streams.stalls.StallWatch: records waiting and a read position that does not move, for long enough."""

from streams.stalls import StallWatch


def test_a_partition_with_records_waiting_and_no_progress_is_stalled_after_the_bound():
    watch = StallWatch(after=30)
    assert watch.observe(0, {"in:0": (5, 10)}) == []
    assert watch.observe(20, {"in:0": (5, 10)}) == []
    assert watch.observe(31, {"in:0": (5, 10)}) == ["in:0"]
    assert watch.observe(32, {"in:0": (6, 10)}) == []  # it moved: the clock starts again


def test_nothing_waiting_is_never_a_stall():
    watch = StallWatch(after=30)
    assert watch.observe(0, {"in:0": (10, 10)}) == []
    assert watch.observe(100, {"in:0": (10, 10)}) == []
    assert watch.observe(110, {"in:0": (10, 11)}) == []  # new records arrived just now: not stalled yet
    assert watch.observe(141, {"in:0": (10, 11)}) == ["in:0"]


def test_revoked_partitions_are_forgotten():
    watch = StallWatch(after=1)
    watch.observe(0, {"in:0": (1, 5)})
    assert watch.observe(5, {}) == [] and watch.observe(6, {"in:0": (1, 5)}) == []


def test_a_partition_never_fetched_since_it_was_assigned_is_stalled_after_the_bound():
    """No end offset known: no fetch has answered for it (faust-streaming issue 629), records or not."""
    watch = StallWatch(after=30)
    assert watch.observe(0, {"in:1": (3, None)}) == []
    assert watch.observe(31, {"in:1": (3, None)}) == ["in:1"]
    assert watch.observe(32, {"in:1": (3, 3)}) == []  # fetched at last: nothing waiting


def test_the_longest_stall_is_measured_from_the_last_progress():
    watch = StallWatch(after=10)
    watch.observe(0, {"in:0": (5, 10), "in:1": (1, 2)})
    watch.observe(6, {"in:0": (5, 10), "in:1": (2, 3)})
    stalled = watch.observe(15, {"in:0": (5, 10), "in:1": (2, 3)})
    assert stalled == ["in:0"] and watch.longest(15, stalled) == 15
    assert watch.longest(15, []) == 0
