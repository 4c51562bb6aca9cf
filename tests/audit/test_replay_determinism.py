"""Same journal, same bytes: replayed twice, from a file or from the topic, or from its export."""

import gzip

from service.audit import journal_order
from streams.journal_admin import publish, publish_dicts


def replay(tally, *source, tmp_path, name):
    state = tmp_path / f"{name}.state.jsonl"
    done = tally("replay", *source, "--state", state)
    return done.stdout, state.read_bytes(), done.stderr.decode().strip().splitlines()[-1]


def test_file_replay_twice_gives_identical_bytes(tally, journal_file, tmp_path):
    first = replay(tally, journal_file, tmp_path=tmp_path, name="a")
    second = replay(tally, journal_file, "--trusted", tmp_path=tmp_path, name="b")
    assert first[0] and first[0].count(b"\n") > 1000
    assert first == second


def test_kafka_replay_equals_export_replay_equals_file_in_journal_order(tally, broker, synthetic_events, tmp_path, topic):
    placed = publish_dicts(broker, topic, synthetic_events, partitions=3)
    assert len({p for p, _ in placed}) == 3

    from_kafka = replay(tally, "--from-kafka", "--bootstrap", broker, "--topic", topic, tmp_path=tmp_path, name="kafka")

    export = tmp_path / "journal.jsonl.gz"
    tally("export", "--topic", topic, "--out", export, "--bootstrap", broker)
    lines = gzip.decompress(export.read_bytes()).splitlines()
    assert len(lines) == len(synthetic_events)
    from_export = replay(tally, export, "--trusted", tmp_path=tmp_path, name="export")

    # The original file put in journal order (partition, then offset) replays to the same bytes too.
    partition = {e["event_id"] + str(i): p for i, (e, (p, _)) in enumerate(zip(synthetic_events, placed))}
    by_position = iter(sorted(range(len(placed)), key=lambda i: placed[i]))
    ordered = [synthetic_events[i] for i in by_position]
    assert ordered == journal_order(synthetic_events, lambda c: next(p for (p, _), e in zip(placed, synthetic_events) if e["creator_id"] == c))
    ordered_file = tmp_path / "ordered.jsonl"
    ordered_file.write_bytes(b"".join(line + b"\n" for line in lines))
    from_file = replay(tally, ordered_file, tmp_path=tmp_path, name="file")

    assert from_kafka[0].count(b"\n") > 1000
    assert from_kafka == from_export == from_file
    assert partition  # every event was placed

    # Exporting again gives the same compressed bytes (no name, no time in the gzip header).
    again = tmp_path / "again.jsonl.gz"
    tally("export", "--topic", topic, "--out", again, "--bootstrap", broker)
    assert again.read_bytes() == export.read_bytes()


def test_export_of_a_missing_topic_fails_cleanly(tally, broker, tmp_path):
    done = tally("export", "--topic", "no.such.topic", "--out", tmp_path / "x.jsonl", "--bootstrap", broker, check=False)
    assert done.returncode == 2
    assert b"not found" in done.stderr
    assert not (tmp_path / "x.jsonl").exists()



def test_kafka_replay_over_jobs_prints_the_one_process_bytes(tally, broker, synthetic_events, tmp_path, topic):
    """Workers read only their own partitions, yet number every record with its journal position: the
    malformed records are reported on the same lines, and everything else is the same bytes, summary
    included."""
    publish_dicts(broker, topic, synthetic_events[:1000], partitions=3)
    placed = publish(broker, topic, [(f"broken-{n}".encode(), b'{"not json') for n in range(6)], partitions=3)
    assert any(partition > 0 for partition, _ in placed)  # numbered by a worker that never reads partition 0
    publish_dicts(broker, topic, synthetic_events[1000:2000], partitions=3)

    def replay_with(jobs: int) -> tuple[bytes, bytes, bytes]:
        state = tmp_path / f"jobs{jobs}.state.jsonl"
        done = tally("replay", "--from-kafka", "--bootstrap", broker, "--topic", topic, "--jobs", str(jobs), "--state", state)
        return done.stdout, state.read_bytes(), done.stderr

    one, two, three = replay_with(1), replay_with(2), replay_with(3)
    assert one[0].count(b"\n") > 500
    assert one[2].count(b"rejected, malformed_json") == 6, one[2]
    assert one == two == three
