"""The event contract: strict, bounded validation with machine-readable reasons; schema files kept current."""

import orjson
import pytest

from schemas.codec import MAX_MESSAGE_BYTES, Rejection, decode_trusted, decode_untrusted, validate
from schemas.jsonschema import DIRECTORY, generate


def violation(**overrides):
    event = {
        "event_id": "evt-1",
        "type": "violation_recorded",
        "creator_id": "creator-1",
        "occurred_at": "2024-03-01T10:00:00+08:00",
        "source": "detector.livestream",
        "schema_version": 3,
        "violation_id": "vio-1",
        "code": "false_advertising",
        "severity": "general",
        "evidence": {"clip": "s3://clips/1.mp4"},
    }
    event.update(overrides)
    return event


def test_a_valid_violation_decodes_to_the_canonical_dict():
    event = decode_untrusted(orjson.dumps(violation()))
    assert not isinstance(event, Rejection)
    assert event["code"] == "false_advertising"
    assert event["schema_version"] == 3


def test_a_version_2_event_is_upcast_as_recorded_at_its_occurred_at():
    """v2 left open whether occurred_at was the misconduct or the record; v3 says the record."""
    event = validate(violation(schema_version=2))
    assert not isinstance(event, Rejection)
    assert (event["schema_version"], event["content_at"], event["occurred_at"]) == (3, None, "2024-03-01T10:00:00+08:00")


def test_content_at_explains_old_misconduct_and_cannot_come_after_the_record():
    old = validate(violation(content_at="2024-02-01T10:00:00+08:00"))
    assert not isinstance(old, Rejection) and old["content_at"] == "2024-02-01T10:00:00+08:00"
    later = validate(violation(content_at="2024-03-02T10:00:00+08:00"))
    assert isinstance(later, Rejection) and later.reason == "invalid_field" and "content_at" in later.detail


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"{not json", "malformed_json"),
        (b"[1, 2]", "not_an_object"),
        (orjson.dumps(violation(type="violation_erased")), "unknown_type"),
        (orjson.dumps(violation(occurred_at="2024-03-01T10:00:00")), "naive_timestamp"),
        (orjson.dumps(violation(severity="apocalyptic")), "invalid_field"),
        (orjson.dumps(violation(creator_id="x" * 200)), "invalid_field"),
        (orjson.dumps(violation(points=3)), "unknown_field"),
        (orjson.dumps({k: v for k, v in violation().items() if k != "violation_id"}), "missing_field"),
        (orjson.dumps(violation(schema_version=9)), "unsupported_schema_version"),
        (orjson.dumps(violation(evidence={"blob": "x" * 5000})), "invalid_field"),
        (b"{" + b" " * MAX_MESSAGE_BYTES + b"}", "oversized"),
    ],
)
def test_bad_input_is_rejected_with_a_stable_reason(data, reason):
    rejection = decode_untrusted(data)
    assert isinstance(rejection, Rejection)
    assert rejection.reason == reason
    assert rejection.detail


@pytest.mark.parametrize("data", [b"{not json", b"[1, 2]", b"3", b'"text"'])
def test_trusted_input_that_is_not_an_object_is_a_value_error_not_a_crash_later(data):
    # `tally replay --trusted` of a file that is not a journal: the callers turn it into a rejected line.
    with pytest.raises(ValueError):
        decode_trusted(data)


def test_version_1_events_are_upcast():
    old = {
        "schema_version": 1,
        "id": "evt-old",
        "kind": "violation_recorded",
        "creator": "creator-1",
        "ts": "2021-06-01T08:00:00Z",
        "source": "detector.legacy",
        "violation_id": "vio-old",
        "code": "false_advertising",
        "severity": 2,
    }
    event = validate(old)
    assert not isinstance(event, Rejection)
    assert (event["event_id"], event["type"], event["creator_id"], event["severity"]) == (
        "evt-old", "violation_recorded", "creator-1", "serious",
    )


def test_committed_json_schemas_are_current():
    """Detector teams in other languages code against these files; regenerate with `tally schema export`."""
    generated = generate()
    committed = {path.stem for path in DIRECTORY.glob("*.json")}
    assert committed == set(generated)
    for name, schema in generated.items():
        on_disk = orjson.loads((DIRECTORY / f"{name}.json").read_bytes())
        assert on_disk == schema, f"schemas/jsonschema/{name}.json is stale: run `tally schema export`"


def test_a_version_1_event_still_folds():
    """Schema evolution: an event from the first detector SDK deducts like a current one."""
    from service.policies import shipped_rulebooks
    from service.replay import Replayer

    old = {"schema_version": 1, "id": "evt-old", "kind": "violation_recorded", "creator": "creator-1", "ts": "2024-03-01T08:00:00Z",
           "source": "detector.legacy", "violation_id": "vio-old", "code": "false_advertising", "severity": 2}
    current = validate({**violation(), "event_id": "evt-new", "severity": "serious", "occurred_at": "2024-03-01T08:00:00Z"})
    results = []
    for event in (validate(old), current):
        replayer = Replayer(shipped_rulebooks())
        commands = list(replayer.run([event]))
        results.append(([(c.action, c.reason.rule) for c in commands], next(replayer.views())["score"]))
    assert results[0] == results[1]


def test_the_fold_s_command_records_are_the_published_command_schema():
    """Commands are typed where the fold makes them (msgspec); the published schema is the pydantic model.
    Same fields, same order of keys on the wire."""
    import msgspec

    from schemas.commands import Command, CommandReason, PenaltyCommand, Reason

    assert list(Command.__struct_fields__) == sorted(PenaltyCommand.model_fields)
    assert list(CommandReason.__struct_fields__) == sorted(Reason.model_fields)
    command = Command("warn", "cmd-" + "0" * 24, "c1", "2024-03-01T02:00:00Z", None, None,
                      CommandReason(["e1"], "", "p", "1", "violation:x", "9", "10"))
    assert PenaltyCommand.model_validate_json(msgspec.json.encode(command)).model_dump(mode="json") == msgspec.to_builtins(command)


def service_report(**overrides) -> dict:
    base = {"event_id": "m1", "creator_id": "shop-1", "occurred_at": "2023-06-02T06:00:00+08:00", "source": "metrics.service",
            "schema_version": 3, "type": "service_metrics_reported", "report_id": "svc-1", "period_start": "2023-06-01T00:00:00+08:00",
            "period_end": "2023-06-02T00:00:00+08:00", "orders": 10, "logistics_on_time_rate": 0.9,
            "after_sales_resolution_rate": 0.9, "customer_service_response_rate": 0.9}
    base.update(overrides)
    return base


@pytest.mark.parametrize(("overrides", "reason", "field"), [
    ({"logistics_on_time_rate": 1.2}, "invalid_field", "logistics_on_time_rate"),
    ({"orders": -1}, "invalid_field", "orders"),
    ({"period_end": "2023-06-03T00:00:00+08:00"}, "invalid_field", "period_end"),  # after its publication
    ({"period_start": "2023-06-02T00:00:00+08:00"}, "invalid_field", "period_start"),  # an empty period
    ({"period_end": "2023-06-02T00:00:00"}, "invalid_field", "period_end"),
    ({"views": 10}, "unknown_field", "views"),  # a content metric on a service report
])
def test_a_bad_metric_report_is_refused_with_its_reason_and_field(overrides, reason, field):
    rejection = validate(service_report(**overrides))
    assert isinstance(rejection, Rejection) and rejection.reason == reason and field in rejection.detail, rejection


def test_a_metric_report_of_schema_version_2_is_upcast():
    event = validate(service_report(schema_version=2))
    assert not isinstance(event, Rejection) and event["schema_version"] == 3 and event["logistics_on_time_rate"] == 0.9


def test_the_score_fold_s_resource_records_are_the_published_resource_schema():
    import msgspec

    from schemas.resources import ResourceCommand, ResourceCommandModel, ResourceCommandReason, ResourceReason

    assert list(ResourceCommand.__struct_fields__) == sorted(ResourceCommandModel.model_fields)
    assert list(ResourceCommandReason.__struct_fields__) == sorted(ResourceReason.model_fields)
    command = ResourceCommand("grant", "good", "res-" + "0" * 24, "shop-1", "2023-06-01T22:00:00Z",
                              ResourceCommandReason(["m1"], "", {"orders": "10"}, "p", "1", "band:x:good", "4.1", None), "subsidy", "x")
    assert ResourceCommandModel.model_validate_json(msgspec.json.encode(command)).model_dump(mode="json") == msgspec.to_builtins(command)
