"""Journal positions from offsets, for a replay whose workers each read some partitions: the numbering
a reader of the whole snapshot gives, and a clear stop where an offset holds no record."""

import pytest

from service.jobs import share_out
from streams.journal_reader import JournalGap, Record, numbered, positions
from streams.journal_share import TopicSource

SNAPSHOT = {0: (0, 3), 1: (5, 7), 2: (0, 0), 3: (10, 12)}  # partition 1 starts at 5 (retention), 2 is empty


def records(partition: int, offsets) -> list[Record]:
    return [Record(partition, offset, None, b"{}") for offset in offsets]


def test_positions_count_the_records_of_the_partitions_before():
    assert positions(SNAPSHOT) == {0: 0, 1: 3, 2: 5, 3: 5}


def test_a_share_of_the_partitions_is_numbered_as_the_whole_read_numbers_it():
    whole = records(0, range(0, 3)) + records(1, range(5, 7)) + records(3, range(10, 12))
    assert [n for n, _ in numbered(whole, SNAPSHOT, "journal")] == [1, 2, 3, 4, 5, 6, 7]
    share = records(1, range(5, 7)) + records(3, range(10, 12))
    assert [n for n, _ in numbered(share, SNAPSHOT, "journal")] == [4, 5, 6, 7]


def test_an_offset_without_a_record_stops_the_read_and_says_where():
    with pytest.raises(JournalGap, match="partition 1: offset 6 holds no record"):
        list(numbered(records(1, [5, 7]), {1: (5, 8)}, "journal"))


def test_partitions_are_shared_out_by_records_the_largest_first():
    source = TopicSource("127.0.0.1:1", "journal", {0: (0, 100), 1: (0, 40), 2: (0, 70), 3: (0, 20)})
    assert source.share_out(2) == share_out({0: 100, 2: 70, 1: 40, 3: 20}, 2) == {0: 0, 2: 1, 1: 1, 3: 0}
