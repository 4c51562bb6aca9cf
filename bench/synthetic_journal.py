"""A synthetic journal for the audit tests and benchmarks: plausible, seeded, identical on every run.

Deterministic: a seeded `random.Random` (never the global one), no clock, no I/O. Each creator gets a
timeline of violations (Douyin creator catalogue by default), appeals and their decisions, exams
and scheduler deadline events; some reports arrive late (detected days after the fact).
`journal()` returns the events in arrival order across creators, as the intake would append them.
"""

import random
from typing import Any, Iterator

from schemas.instants import DAY, format_instant, parse_instant

# (code, severities) of the Douyin creator catalogue (policies/douyin-creator-2022.yaml).
DOUYIN_CODES = (
    ("prohibited_goods", ("general", "serious")),
    ("counterfeit_goods", ("serious",)),
    ("false_advertising", ("minor", "general", "serious")),
    ("off_platform_trading", ("general", "serious")),
    ("inappropriate_content", ("minor", "general", "serious")),
)
START = "2024-01-01T00:00:00Z"


def creator_events(
    rng: random.Random, creator: str, count: int, start: int, codes=DOUYIN_CODES, gaps: tuple[int, int] = (2 * DAY, 60 * DAY)
) -> list[tuple[int, dict[str, Any]]]:
    """(arrival instant, event) pairs for one creator, about `count` of them, arrival order.
    `gaps` bounds the time between two violations (seconds)."""
    out: list[tuple[int, dict[str, Any]]] = []
    at = start + rng.randrange(0, 10 * DAY)
    n = 0

    def add(arrival: int, occurred: int, kind: str, **fields: Any) -> None:
        nonlocal n
        n += 1
        event = {"event_id": f"{creator}-e{n}", "creator_id": creator, "occurred_at": format_instant(occurred), "source": fields.pop("source", "detector-a"), "schema_version": 2, "type": kind, **fields}
        out.append((arrival, event))

    while n < count:
        at += rng.randrange(*gaps)
        code, severities = codes[rng.randrange(len(codes))]
        vid = f"{creator}-v{n + 1}"
        late = rng.random() < 0.1
        occurred = at - (rng.randrange(1, 30) * DAY if late else 0)
        add(at, occurred, "violation_recorded", violation_id=vid, code=code, severity=severities[rng.randrange(len(severities))])
        roll = rng.random()
        if roll < 0.25:
            filed = at + rng.randrange(3600, 5 * DAY)
            add(filed, filed, "appeal_filed", violation_id=vid, source="appeal-desk", statement="not me")
            decided = filed + rng.randrange(3600, 3 * DAY)
            outcome = "overturned" if rng.random() < 0.5 else "sustained"
            add(decided, decided, "appeal_resolved", violation_id=vid, outcome=outcome, source="appeal-desk", reviewer="r1")
        elif roll < 0.4:
            closed = occurred + 7 * DAY
            add(closed, closed, "appeal_window_closed", violation_id=vid, source="scheduler")
        if rng.random() < 0.1:
            passed = at + rng.randrange(DAY, 6 * DAY)
            add(passed, passed, "exam_passed", exam_id=f"{creator}-x{n}", source="exam-service")
        if rng.random() < 0.03:
            again = out[rng.randrange(len(out))]
            out.append((again[0] + rng.randrange(1, 600), dict(again[1])))  # at-least-once: a duplicate delivery
    return out


def journal(creators: int, events_per_creator: int, seed: int = 7, start: str = START) -> list[dict[str, Any]]:
    """Every creator's events merged in arrival order (ties by creator id), as the intake appends them."""
    rng = random.Random(seed)
    begin = parse_instant(start)
    merged: list[tuple[int, str, int, dict[str, Any]]] = []
    for index in range(creators):
        creator = f"c{index:07d}"
        for position, (arrival, event) in enumerate(creator_events(rng, creator, events_per_creator, begin)):
            merged.append((arrival, creator, position, event))
    merged.sort(key=lambda entry: entry[:3])
    return [entry[3] for entry in merged]


def iter_journal(creators: int, events_per_creator: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    yield from journal(creators, events_per_creator, seed)
