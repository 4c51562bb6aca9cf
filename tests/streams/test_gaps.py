"""streams.gaps.GapGuard: a record delivered beyond the next expected offset makes the partition be read again."""

from streams.gaps import GapGuard


def delivered(guard: GapGuard, tp: str, offsets: list[int]) -> list[int | None]:
    return [guard.deliver(tp, offset) for offset in offsets]


def test_consecutive_records_are_delivered():
    guard = GapGuard()
    guard.seeked("j:0", 10)
    assert delivered(guard, "j:0", [10, 11, 12]) == [None, None, None]
    assert guard.expected["j:0"] == 13 and guard.refetches == 0


def test_a_record_beyond_the_next_expected_sends_the_partition_back():
    """Records 13..37 fetched and dropped by the consumer: 38 must not be delivered (Faust would commit past 13..37)."""
    guard = GapGuard()
    guard.seeked("j:0", 10)
    assert delivered(guard, "j:0", [10, 11, 12, 38]) == [None, None, None, 13]
    guard.seeked("j:0", 13)  # the consumer reads it again from 13
    assert delivered(guard, "j:0", [13, 14, 38]) == [None, None, 15]
    assert guard.refetches == 2 and guard.holes == 0


def test_right_after_a_seek_to_the_committed_offset_a_skip_of_one_record_is_seen():
    guard = GapGuard()
    guard.seeked("j:0", 40)
    assert guard.deliver("j:0", 41) == 40


def test_a_real_hole_in_the_log_is_delivered_after_one_re_read():
    """A transaction marker at 11: read again from 11, and 12 comes back first again."""
    guard = GapGuard()
    guard.seeked("in:0", 10)
    assert delivered(guard, "in:0", [10, 12]) == [None, 11]
    guard.seeked("in:0", 11)
    assert delivered(guard, "in:0", [12, 13]) == [None, None]
    assert guard.refetches == 1 and guard.holes == 1


def test_nothing_is_checked_before_a_seek_or_first_record_and_after_a_revocation():
    guard = GapGuard()
    assert guard.deliver("j:1", 500) is None  # first record after an assignment with nothing committed
    assert guard.deliver("j:1", 501) is None
    guard.forget(["j:1"])
    assert guard.deliver("j:1", 900) is None  # another worker moved it on meanwhile
    guard.seeked("j:1", None)
    assert guard.deliver("j:1", 0) is None


def test_a_redelivery_below_the_expected_offset_is_delivered_and_moves_the_expectation_back():
    guard = GapGuard()
    guard.seeked("j:0", 10)
    delivered(guard, "j:0", [10, 11])
    assert guard.deliver("j:0", 5) is None and guard.expected["j:0"] == 6


def test_from_the_log_start_a_first_record_past_offset_0_is_read_again_once():
    """Nothing committed: the partition is read from its start. Records the consumer dropped are read again; if
    retention removed the first records, the first one left comes back first again and is delivered."""
    guard = GapGuard()
    guard.seeked("j:2", 0)
    assert guard.deliver("j:2", 6) == 0
    guard.seeked("j:2", 0)
    assert guard.deliver("j:2", 0) is None  # the dropped records, read again

    retained = GapGuard()
    retained.seeked("j:2", 0)
    assert retained.deliver("j:2", 500) == 0
    retained.seeked("j:2", 0)
    assert retained.deliver("j:2", 500) is None and retained.holes == 1
