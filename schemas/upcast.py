"""Upcasters: bring events published under an older schema_version to the current one.

Version 1 (the first detector SDK) used `id`, `kind`, `creator` and `ts`, and
graded severity as an integer 1..3. Version 2 left open whether a violation's
`occurred_at` was the misconduct or the record; version 3 defines it as the
record (when the creator was told) and adds `content_at` for the misconduct.
A version 2 event is taken as recorded at its `occurred_at`. Each upcaster takes a dict of version N
and returns a dict of version N+1; they chain, so adding version 3 is one
function more.
"""

from typing import Any, Callable

V1_SEVERITY = {1: "general", 2: "serious", 3: "especially_serious"}
V1_RENAMES = {"id": "event_id", "kind": "type", "creator": "creator_id", "ts": "occurred_at"}


def _v1_to_v2(raw: dict[str, Any]) -> dict[str, Any]:
    event = {V1_RENAMES.get(key, key): value for key, value in raw.items()}
    if isinstance(event.get("severity"), int):
        event["severity"] = V1_SEVERITY.get(event["severity"], event["severity"])
    event["schema_version"] = 2
    return event


def _v2_to_v3(raw: dict[str, Any]) -> dict[str, Any]:
    return {**raw, "schema_version": 3}


UPCASTERS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2, 2: _v2_to_v3}


def upcast(raw: dict[str, Any], current: int) -> dict[str, Any]:
    """Apply upcasters until the event is at `current`; unknown versions pass through to validation."""
    version = raw.get("schema_version", current)
    while isinstance(version, int) and version < current and version in UPCASTERS:
        raw = UPCASTERS[version](raw)
        version = raw["schema_version"]
    return raw
