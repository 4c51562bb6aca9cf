"""The restore rule of streams.tables: per key, the furthest state wins, whatever order its records landed in."""

from types import SimpleNamespace

from streams.tables import furthest


def record(key: bytes, value: bytes | None):
    return SimpleNamespace(message=SimpleNamespace(key=key, value=value))


def position(value: bytes) -> int:
    """Test states are b"<position>:<content>"."""
    return int(value.split(b":")[0])


def kept(records, stored: dict[bytes, bytes] | None = None) -> list[tuple[bytes, bytes | None]]:
    stored = stored or {}
    out = furthest(records, position, lambda key: position(stored[key]) if key in stored else None)
    return [(r.message.key, r.message.value) for r in out]


def test_a_stale_state_landing_after_a_newer_one_is_left_out():
    # A worker that lost the partition wrote "5" after the new owner wrote "9".
    assert kept([record(b"c1", b"3:a"), record(b"c1", b"9:b"), record(b"c1", b"5:stale"), record(b"c2", b"4:x")]) == [
        (b"c1", b"3:a"), (b"c1", b"9:b"), (b"c2", b"4:x")]


def test_the_same_position_again_is_kept():
    """Two workers folding the same record write the same state: either may land last."""
    assert kept([record(b"c1", b"7:a"), record(b"c1", b"7:a")]) == [(b"c1", b"7:a"), (b"c1", b"7:a")]


def test_a_state_stored_already_counts():
    """A standby or a RocksDB store restores on top of what it holds."""
    assert kept([record(b"c1", b"5:stale"), record(b"c1", b"12:new")], stored={b"c1": b"9:b"}) == [(b"c1", b"12:new")]


def test_a_tombstone_passes_and_anything_may_follow_it():
    assert kept([record(b"c1", b"9:b"), record(b"c1", None), record(b"c1", b"2:again")]) == [
        (b"c1", b"9:b"), (b"c1", None), (b"c1", b"2:again")]


def test_an_unreadable_state_wins_over_nothing_only():
    assert kept([record(b"c1", b"garbage"), record(b"c1", b"4:ok"), record(b"c1", b"garbage")]) == [
        (b"c1", b"garbage"), (b"c1", b"4:ok")]
