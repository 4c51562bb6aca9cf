"""`tally migrate`: Kuaishou legacy -> 2021, end to end, through a file and through the journal topic."""

import json
import shutil
from pathlib import Path

import pytest

from service.policies import load_policy
from schemas.codec import encode
from schemas.points import to_hundredths
from streams.journal_admin import publish_dicts

ROOT = Path(__file__).resolve().parents[2]
PACKS = ("kuaishou-shop-legacy.yaml", "kuaishou-shop-2021-merchant.yaml", "kuaishou-shop-2021-promoter.yaml")
AT = "2021-09-16T00:00:00+08:00"


@pytest.fixture
def policies(tmp_path):
    """The shipped Kuaishou packs (and the pinned Douyin default), nothing else."""
    directory = tmp_path / "policies"
    directory.mkdir()
    for name in PACKS:
        shutil.copy(ROOT / "policies" / name, directory / name)
    shutil.copy(Path(__file__).parent / "fixtures" / "policies" / "douyin-creator-2022.yaml", directory)
    return directory


def ev(creator, n, kind, at, **fields):
    return {"event_id": f"{creator}-{n}", "creator_id": creator, "occurred_at": at, "source": "detector-a", "schema_version": 2, "type": kind, **fields}


def merchant(creator, violations):
    events = [ev(creator, 0, "creator_enrolled", "2021-09-01T09:00:00+08:00", rulebook="kuaishou-shop-legacy", role="merchant")]
    for n, (code, severity) in enumerate(violations, 1):
        events.append(ev(creator, n, "violation_recorded", f"2021-09-0{n + 1}T10:00:00+08:00", violation_id=f"{creator}-v{n}", code=code, severity=severity))
    return events


JOURNAL = [
    *merchant("m1", [("false_description", "general"), ("counterfeit_goods", "serious")]),
    *merchant("m2", [("prohibited_goods", "serious"), ("off_platform_trading", "general")]),
    *merchant("m3", [("counterfeit_goods", "especially_serious")]),  # cleared out under the old rules
    ev("d1", 1, "violation_recorded", "2021-09-03T10:00:00+08:00", violation_id="d1-v1", code="false_advertising", severity="minor"),
]


def write(path, events):
    path.write_bytes(b"".join(encode(e) + b"\n" for e in events))
    return path


def states(tally, env, *source):
    done = tally("replay", *source, "--state", "/dev/stdout", env=env)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    return {v["creator_id"]: v for v in lines if "score" in v and "command_id" not in v}


def test_migration_end_to_end(tally, tmp_path, policies, broker, topic):
    env = {"TALLY_POLICIES_DIR": str(policies)}
    journal = write(tmp_path / "journal.jsonl", JOURNAL)
    out = tmp_path / "migration.jsonl"
    tally("migrate", "--to", "kuaishou-shop-2021", "--all", "--journal", journal, "--at", AT, "--out", out, env=env)
    events = [json.loads(line) for line in out.read_bytes().splitlines()]
    assert [e["creator_id"] for e in events] == ["m1", "m2", "m3"]  # d1 is on Douyin: no migration path
    assert {e["type"] for e in events} == {"rulebook_migrated"} and {e["source"] for e in events} == {"admin"}
    assert all(e["occurred_at"] == "2021-09-15T16:00:00Z" and e["rulebook"] == "kuaishou-shop-2021" for e in events)

    # Deterministic: the same migration from a creator list gives the same bytes (same event ids).
    (tmp_path / "creators.txt").write_text("m1\nm2\nm3\n")
    again = tmp_path / "again.jsonl"
    tally("migrate", "--to", "kuaishou-shop-2021", "--creators", tmp_path / "creators.txt", "--at", AT, "--out", again, env=env)
    assert again.read_bytes() == out.read_bytes()

    # Replay the journal with the migration: serious records kept with their 2021 points, others dropped.
    after = write(tmp_path / "after.jsonl", JOURNAL + events + events[:1])  # one migration delivered twice
    views = states(tally, env, after)
    new = load_policy(policies / "kuaishou-shop-2021-merchant.yaml")
    points = lambda code, sev: to_hundredths(new.catalogue[code].points[sev])  # noqa: E731
    for creator, kept in (("m1", [("counterfeit_goods", "serious")]), ("m2", [("prohibited_goods", "serious")])):
        view = views[creator]
        assert (view["rulebook"], view["role"]) == ("kuaishou-shop-2021", "merchant")
        assert to_hundredths(view["score"]) == sum(points(c, s) for c, s in kept)
        assert view["rule"].startswith("migrated:kuaishou-shop-legacy/merchant->kuaishou-shop-2021/merchant")
    assert views["m3"]["terminal"] == "clear_out"  # cleared out stays cleared out
    assert views["d1"]["rulebook"] == "douyin-creator-2022"

    # The same through the journal topic: publish, migrate --publish, replay from Kafka: same states.
    publish_dicts(broker, topic, JOURNAL, partitions=2)
    kafka = ("--bootstrap", broker, "--topic", topic)
    tally("migrate", "--to", "kuaishou-shop-2021", "--all", "--from-kafka", *kafka, "--at", AT, "--publish", env=env)
    assert states(tally, env, "--from-kafka", *kafka) == states(tally, env, write(tmp_path / "same.jsonl", JOURNAL + events))
    # Published twice, folded once.
    tally("migrate", "--to", "kuaishou-shop-2021", "--creators", tmp_path / "creators.txt", "--at", AT, "--publish", *kafka, env=env)
    assert states(tally, env, "--from-kafka", *kafka) == states(tally, env, after)


def test_a_migration_without_a_path_is_refused_by_the_fold(tally, tmp_path, policies):
    env = {"TALLY_POLICIES_DIR": str(policies)}
    (tmp_path / "creators.txt").write_text("d1\n")
    out = tmp_path / "m.jsonl"
    tally("migrate", "--to", "kuaishou-shop-2021", "--creators", tmp_path / "creators.txt", "--at", AT, "--out", out, env=env)
    done = tally("replay", write(tmp_path / "all.jsonl", JOURNAL + [json.loads(out.read_bytes())]), env=env)
    # A Douyin creator has no Kuaishou role: there is no kuaishou-shop-2021 rulebook for it to move to.
    assert b"rejected, unknown_rulebook (event migrate-" in done.stderr
