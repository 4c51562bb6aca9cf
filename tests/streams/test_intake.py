"""Intake decisions, message by message (pure; the live path is covered in test_live.py)."""

import base64

import orjson
import pytest

from schemas.codec import Rejection
from streams.intake import admit, dead_letter
from streams.settings import Settings
from streams.signing import signed_headers

SETTINGS = Settings(_env_file=None, source_keys={"detector.a": "ka", "detector.b": "kb", "appeal-desk": "kd"})


def violation(**changes):
    event = {"event_id": "e1", "creator_id": "c1", "occurred_at": "2024-03-01T10:00:00+08:00", "source": "detector.a",
             "type": "violation_recorded", "violation_id": "v1", "code": "prohibited_goods", "severity": "general"}
    event.update(changes)
    return orjson.dumps(event)


def signed(value: bytes, source: str = "detector.a", key: bytes = b"ka"):
    return signed_headers(source, key, value)


def reason(value, headers):
    result = admit(value, headers, SETTINGS)
    return result.reason if isinstance(result, Rejection) else "accepted"


def test_a_signed_event_from_an_allowed_source_is_accepted_in_canonical_form():
    value = violation()
    event = admit(value, signed(value), SETTINGS)
    assert isinstance(event, dict) and event["schema_version"] == 3 and event["evidence"] == {}


@pytest.mark.parametrize(
    "value, headers, expected",
    [
        (violation(), [], "unsigned"),
        (violation(), [("tally-source", b"detector.a")], "unsigned"),
        (violation(), signed(violation(), key=b"wrong"), "bad_signature"),
        (violation(), signed(violation(), source="detector.z", key=b"kz"), "unknown_source"),
        (violation(), signed(violation(), source="detector.b", key=b"kb"), "source_mismatch"),
        (violation(source="appeal-desk"), signed(violation(source="appeal-desk"), "appeal-desk", b"kd"), "unauthorised_source"),
        (b"{not json", signed(b"{not json"), "malformed_json"),
        (violation(type="nonsense"), signed(violation(type="nonsense")), "unknown_type"),
        (violation(occurred_at="2024-03-01T10:00:00"), signed(violation(occurred_at="2024-03-01T10:00:00")), "naive_timestamp"),
    ],
)
def test_refusals_carry_their_reason(value, headers, expected):
    assert reason(value, headers) == expected


def test_oversized_is_refused_before_anything_else():
    big = violation(evidence={"x": "a" * 20000})
    assert reason(big, []) == "oversized"


def test_dead_letter_keeps_the_original_message():
    record = orjson.loads(dead_letter(Rejection("bad_signature", "d"), topic="t", partition=1, offset=7, key=b"c1",
                                      value=b"\xff\x00", headers=[("tally-source", b"detector.a")]))
    assert record["reason"] == "bad_signature" and record["source_topic"] == "t" and record["offset"] == 7
    assert base64.b64decode(record["value_base64"]) == b"\xff\x00"
    assert record["headers"] == {"tally-source": "detector.a"} and record["key"] == "c1"
    assert (record["value_bytes"], record["value_truncated"]) == (2, False)


@pytest.mark.parametrize("value", [b'{"blob": "' + "\u00e9".encode() * 1_000_000 + b'"}', b"\xff" * 2_000_000],
                         ids=["text-cut-inside-a-character", "binary"])
def test_a_dead_letter_always_fits_whatever_arrived(value):
    """A 2 MB value cannot go to the dead-letter topic whole (the producer refuses it and the record is lost):
    its head goes, with its size and digest; the original stays on its input topic at (topic, partition, offset)."""
    import hashlib

    raw = dead_letter(Rejection("oversized", "d"), topic="t", partition=0, offset=3, key=b"k" * 5000, value=value,
                      headers=[("tally-signature", b"s" * 5000)])
    record = orjson.loads(raw)
    assert len(raw) < 16 * 1024
    assert record["value_bytes"] == len(value) and record["value_truncated"] is True
    assert record["value_sha256"] == hashlib.sha256(value).hexdigest()
    head = record["value"].encode() if "value" in record else base64.b64decode(record["value_base64"])
    assert value.startswith(head) and len(head) > 4000
    assert record["key"]["bytes"] == 5000 and record["headers"]["tally-signature"]["truncated"] is True


def test_source_patterns():
    settings = Settings(_env_file=None)
    assert settings.may_publish("detector.livestream", "violation_recorded")
    assert not settings.may_publish("detector.livestream", "appeal_resolved")
    assert settings.may_publish("scheduler", "exam_due") and settings.may_publish("admin", "creator_enrolled")
    assert settings.topic_for("appeal_filed") == "creator.appeals"
