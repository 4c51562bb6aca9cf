"""The intake's event-time alignment of the input topics (streams.alignment.Aligner), without a broker."""

from streams.alignment import Aligner

TOPICS = ("violations", "appeals", "exams")


def nothing_unread(topic: str, partition: int) -> bool:
    return False


def test_the_smallest_event_time_among_the_heads_goes_first():
    aligner = Aligner(TOPICS, max_idle=2.0)
    aligner.add("appeals", 0, 50, "a50", now=0)
    aligner.add("violations", 0, 10, "v10", now=0)
    aligner.add("violations", 0, 60, "v60", now=0)
    aligner.add("exams", 0, 40, "x40", now=0)
    assert aligner.release(0, nothing_unread) == ["v10", "x40", "a50", "v60"]
    assert len(aligner) == 0


def test_a_topic_partition_keeps_its_own_order():
    """Only heads are taken: a late report inside one topic stays behind what was published before it."""
    aligner = Aligner(TOPICS, max_idle=2.0)
    aligner.add("violations", 0, 30, "v30", now=0)
    aligner.add("violations", 0, 10, "v10-late", now=0)
    aligner.add("appeals", 0, 20, "a20", now=0)
    assert aligner.release(0, nothing_unread) == ["a20", "v30", "v10-late"]


def test_an_empty_partition_with_records_still_to_read_is_waited_for_while_intake_takes_records():
    aligner = Aligner(TOPICS, max_idle=2.0)
    unread = {("appeals", 0)}
    aligner.add("violations", 0, 100, "v100", now=0)
    assert aligner.release(1.0, lambda t, p: (t, p) in unread) == []  # appeals may hold something older
    aligner.add("violations", 0, 300, "v300", now=2.5)  # records keep coming: the wait goes on past max_idle
    assert aligner.release(3.0, lambda t, p: (t, p) in unread) == []
    aligner.add("appeals", 0, 20, "a20", now=3.2)  # ...and appeals did hold something older
    unread.clear()
    assert aligner.release(3.2, lambda t, p: (t, p) in unread) == ["a20", "v100", "v300"]
    assert aligner.waited_out == 0


def test_the_wait_ends_when_intake_takes_nothing_for_max_idle():
    aligner = Aligner(TOPICS, max_idle=2.0)
    aligner.add("violations", 0, 200, "v200", now=3)
    unread = lambda t, p: t == "exams"  # noqa: E731
    assert aligner.release(4.0, unread) == []
    assert aligner.release(5.0, unread) == ["v200"] and aligner.waited_out == 1


def test_the_wait_ends_when_too_much_is_held():
    aligner = Aligner(TOPICS, max_idle=2.0, max_buffered=3)
    for at in (10, 20, 30):
        aligner.add("violations", 0, at, f"v{at}", now=0)
    assert aligner.release(0, lambda t, p: True) == ["v10"]  # back under the bound: the rest waits
    assert len(aligner) == 2


def test_partitions_are_independent_and_live_records_go_at_once():
    aligner = Aligner(TOPICS, max_idle=2.0)
    aligner.add("violations", 1, 100, "p1", now=0)
    aligner.add("appeals", 0, 5, "p0", now=0)
    assert aligner.release(0, nothing_unread) == ["p0", "p1"]


def test_revoked_partitions_are_forgotten():
    aligner = Aligner(TOPICS, max_idle=2.0)
    aligner.add("violations", 0, 1, "a", now=0)
    aligner.add("appeals", 1, 1, "b", now=0)
    assert aligner.drop({0}) == 1 and aligner.release(0, nothing_unread) == ["b"]
