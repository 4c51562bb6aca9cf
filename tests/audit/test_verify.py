"""`tally audit verify`: recomputed commands against the published ones; every tampering is reported."""

import json

import orjson

from streams.journal_admin import publish, publish_dicts


def commands_of(tally, journal_file):
    return tally("replay", journal_file).stdout.splitlines()


def verify(tally, journal, penalties, *extra):
    done = tally("audit", "verify", "--journal", journal, "--penalties", penalties, "--json", *extra, check=False)
    return done.returncode, (json.loads(done.stdout) if done.stdout.strip() else None), done


def test_untampered_commands_agree_and_redeliveries_are_not_discrepancies(tally, journal_file, tmp_path):
    lines = commands_of(tally, journal_file)
    published = tmp_path / "penalties.jsonl"
    published.write_bytes(b"\n".join(lines + lines[:25]) + b"\n")  # at-least-once: 25 delivered twice
    code, verdict, _ = verify(tally, journal_file, published)
    assert code == 0
    assert verdict["agree"] and verdict["discrepancies"] == []
    assert verdict["redelivered"] >= 25

    text = tally("audit", "verify", "--journal", journal_file, "--penalties", published)
    assert b"AGREE" in text.stdout


def test_dropped_altered_and_added_commands_are_each_reported_with_their_events(tally, journal_file, tmp_path):
    lines = commands_of(tally, journal_file)
    commands = [orjson.loads(line) for line in lines]
    dropped = commands[10]
    altered = dict(commands[20], effective_until="2099-01-01T00:00:00Z")
    added = dict(commands[30], command_id="cmd-" + "f" * 24, action="ban", reason={**commands[30]["reason"], "caused_by": ["forged-event-1"]})
    tampered = [c for i, c in enumerate(commands) if i not in (10, 20)] + [altered, added]
    published = tmp_path / "tampered.jsonl"
    published.write_bytes(b"".join(orjson.dumps(c) + b"\n" for c in tampered))

    code, verdict, _ = verify(tally, journal_file, published)
    assert code == 1
    found = {(d["kind"], d["command_id"]): d for d in verdict["discrepancies"]}
    assert ("missing", dropped["command_id"]) in found
    assert ("different", altered["command_id"]) in found
    assert found[("different", altered["command_id"])]["fields"] == ["effective_until"]
    assert ("extra", added["command_id"]) in found
    assert verdict["missing"] >= 1 and verdict["different"] == 1 and verdict["extra"] == 1
    # The events that explain them come from the journal; a forged cause is named as absent.
    for eid in dropped["reason"]["caused_by"]:
        assert verdict["events"][eid]["event_id"] == eid
    assert "forged-event-1" not in verdict["events"]

    text = tally("audit", "verify", "--journal", journal_file, "--penalties", published, "--limit", "0", check=False)
    assert text.returncode == 1
    out = text.stdout.decode()
    assert "DISAGREE" in out and "MISSING " + dropped["command_id"] in out
    assert "DIFFERENT " + altered["command_id"] in out and "effective_until: expected" in out
    assert "EXTRA " + added["command_id"] in out and "forged-event-1: NOT IN THE JOURNAL" in out


def test_verify_from_the_topics(tally, broker, synthetic_events, journal_file, tmp_path, topic):
    lines = commands_of(tally, journal_file)
    commands = [orjson.loads(line) for line in lines]
    publish_dicts(broker, topic, synthetic_events, partitions=2, batched=True)  # multi-record batches, exact end
    penalties = topic + ".penalties"
    publish_dicts(broker, penalties, commands, partitions=2, batched=True)
    kafka = ("--bootstrap", broker, "--topic", topic, "--penalties-topic", penalties)
    code, verdict, done = verify(tally, "kafka", "kafka", *kafka)
    assert code == 0, done.stderr.decode()
    assert verdict["published"] == len(commands)

    forged = dict(commands[0], command_id="cmd-" + "e" * 24)
    publish(broker, penalties, [(forged["creator_id"].encode(), orjson.dumps(forged))])
    code, verdict, _ = verify(tally, "kafka", "kafka", *kafka)
    assert code == 1
    assert [(d["kind"], d["command_id"]) for d in verdict["discrepancies"]] == [("extra", forged["command_id"])]
    # The journal side from a file, the penalties from the topic: same verdict.
    code, verdict, _ = verify(tally, journal_file, "kafka", *kafka)
    assert code == 1 and verdict["extra"] == 1
