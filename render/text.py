"""The audits and simulations as text, for the CLI: what an auditor reads."""

from typing import Any, Iterator

from service.audit import Simulation, Verdict
from service.intake_audit import IntakeVerdict
from service.score_simulation import ScoreSimulation

_EVENT_DETAIL = ("violation_id", "code", "severity", "outcome", "exam_id", "rulebook", "role", "command_id")


def describe_event(event: dict[str, Any]) -> str:
    details = " ".join(f"{k}={event[k]}" for k in _EVENT_DETAIL if event.get(k) is not None)
    return f"{event['occurred_at']}  {event['type']}  {details}  [{event['event_id']} from {event.get('source', '?')}]"


def describe_command(command: dict[str, Any]) -> str:
    reason = command.get("reason") or {}
    span = command.get("effective_from", "?") + (f" until {command['effective_until']}" if command.get("effective_until") else "")
    target = f" {command['lifts']}" if command.get("lifts") else f" {command['resource']} ({command.get('score')} {command.get('band')})" if command.get("resource") else ""
    return (
        f"{command.get('action')}{target} from {span} because {reason.get('rule')} "
        f"({reason.get('policy_id')} {reason.get('policy_version')}, score {reason.get('score_before')} -> {reason.get('score_after')})"
    )


def verdict_text(verdict: Verdict, limit: int | None = None) -> Iterator[str]:
    kinds = verdict.by_kind()
    yield (
        f"recomputed {verdict.recomputed} commands, published {verdict.published} records "
        f"({verdict.redelivered} redelivered); missing {kinds['missing']}, extra {kinds['extra']}, different {kinds['different']}"
    )
    yield "AGREE: the published commands are exactly what the journal folds to." if verdict.agree else "DISAGREE"
    shown = verdict.discrepancies if limit is None else verdict.discrepancies[:limit]
    for d in shown:
        yield ""
        yield f"{d.kind.upper()} {d.command_id} (creator {d.creator_id})"
        if d.kind == "missing":
            yield "  the journal folds to this command; it was never published:"
            yield f"    expected:  {describe_command(d.expected or {})}"
        elif d.kind == "extra":
            yield "  published, but the journal does not fold to it:"
            yield f"    published: {describe_command(d.published or {})}"
        else:
            yield f"  differs in {', '.join(d.fields)}:"
            for name in d.fields:
                yield f"    {name}: expected {_field(d.expected, name)!s}, published {_field(d.published, name)!s}"
        yield "  caused by:"
        for eid in d.caused_by:
            event = verdict.events.get(eid)
            yield f"    {describe_event(event)}" if event else f"    {eid}: NOT IN THE JOURNAL"
    if limit is not None and len(verdict.discrepancies) > limit:
        yield ""
        yield f"... and {len(verdict.discrepancies) - limit} more (--limit 0 or --json for all)"


def intake_text(verdict: IntakeVerdict, limit: int | None = None) -> Iterator[str]:
    letters = ", ".join(f"{reason} {count}" for reason, count in sorted(verdict.dead_lettered.items())) or "none"
    yield (f"inputs {verdict.inputs}: journaled {verdict.journaled}, dead-lettered {sum(verdict.dead_lettered.values())} ({letters}), "
           f"missing {len(verdict.missing)}; journal events from no input (scheduler, admin) {verdict.journal_only}")
    yield f"refused only because of the order they were journaled in: {len(verdict.order_refusals)}"
    yield "AGREE: every input is accounted for, and the journal refused nothing an in-order fold accepts." if verdict.agree else "DISAGREE"
    for record in verdict.missing[:limit]:
        yield f"  MISSING {record.topic}[{record.partition}]@{record.offset}: neither journaled nor dead-lettered"
    for refusal in verdict.order_refusals[:limit]:
        yield f"  ORDER {refusal.event_id} (creator {refusal.creator_id}): refused as {refusal.reason}; in event-time order it is {refusal.in_order}"
    if limit is not None and (len(verdict.missing) > limit or len(verdict.order_refusals) > limit):
        yield f"  ... {limit} of each shown (--limit 0 or --json for all)"


def _field(command: dict[str, Any] | None, name: str) -> Any:
    if command is None:
        return None
    if name.startswith("reason."):
        return (command.get("reason") or {}).get(name[7:])
    return command.get(name)




def bars(before: dict[str, int], after: dict[str, int], width: int = 30, order: list[str] | None = None) -> Iterator[str]:
    """Two text histograms side by side, one row per bin: numeric bins in order, or named ones in the `order` given."""
    found = set(before) | set(after)
    bins = [b for b in order if b in found] if order is not None else sorted(found, key=int)
    top = max([*before.values(), *after.values(), 1])
    for b in bins:
        x, y = before.get(b, 0), after.get(b, 0)
        left = "█" * round(width * x / top)
        right = "█" * round(width * y / top)
        yield f"  {b:>{max(4, *map(len, bins))}} | {left:<{width}} {x:>7}   | {right:<{width}} {y:>7}"


def simulation_text(sim: Simulation, limit: int | None = 20) -> Iterator[str]:
    yield f"simulated {sim.events} events, {sim.creators} creators: {sim.baseline} -> {sim.candidate}"
    yield f"commands: {sim.commands_before} before, {sim.commands_after} after; {sum(n for _, n in sim.added)} added, {sum(n for _, n in sim.removed)} removed"
    yield f"creators whose outcome changes: {len(sim.changed)}"
    for title, entries in (("added", sim.added), ("removed", sim.removed)):
        if entries:
            yield ""
            yield f"commands {title} (creator, action, rule, effective_from):"
            for (creator, action, rule, start), n in entries[:limit]:
                yield f"  {'+' if title == 'added' else '-'} {creator}  {action}  {rule}  {start}" + (f"  x{n}" if n > 1 else "")
            if limit is not None and len(entries) > limit:
                yield f"  ... and {len(entries) - limit} more"
    if sim.changed:
        yield ""
        yield "outcome changes (creator: score, penalties in force):"
        for c in sim.changed[:limit]:
            yield f"  {c['creator_id']}: {c['score_before']} -> {c['score_after']}; {','.join(c['penalties_before']) or '-'} -> {','.join(c['penalties_after']) or '-'}" + (
                f"; terminal {c['terminal_before']} -> {c['terminal_after']}" if c["terminal_before"] != c["terminal_after"] else ""
            )
        if limit is not None and len(sim.changed) > limit:
            yield f"  ... and {len(sim.changed) - limit} more"
    for name in sorted(set(sim.histogram_before) | set(sim.histogram_after)):
        yield ""
        yield f"score distribution, {name}:   before | after"
        yield from bars(sim.histogram_before.get(name, {}), sim.histogram_after.get(name, {}))




def score_simulation_text(sim: ScoreSimulation, limit: int | None = 20) -> Iterator[str]:
    yield f"simulated {sim.events} events, {sim.operators} operators with score events: {sim.baseline} -> {sim.candidate}"
    yield f"resource commands: {sim.commands_before} before, {sim.commands_after} after; {sum(n for _, n in sim.added)} added, {sum(n for _, n in sim.removed)} removed"
    yield f"operators whose band changes at the end: {len({c['creator_id'] for c in sim.changed})}"
    for title, entries in (("added", sim.added), ("removed", sim.removed)):
        if entries:
            yield ""
            yield f"commands {title} (operator, score, resource, action, band, effective_from):"
            for key, n in entries[:limit]:
                yield f"  {'+' if title == 'added' else '-'} " + "  ".join(key) + (f"  x{n}" if n > 1 else "")
            if limit is not None and len(entries) > limit:
                yield f"  ... and {len(entries) - limit} more"
    if sim.changed:
        yield ""
        yield "band changes (operator, score: band and score before -> after):"
        for c in sim.changed[:limit]:
            yield f"  {c['creator_id']}, {c['score']}: {c['band_before']} {c['score_before'] or '-'} -> {c['band_after']} {c['score_after'] or '-'}"
        if limit is not None and len(sim.changed) > limit:
            yield f"  ... and {len(sim.changed) - limit} more"
    for name in sorted(set(sim.bands_before) | set(sim.bands_after)):
        yield ""
        yield f"operators per band, {name}:   before | after"
        yield from bars(sim.bands_before.get(name, {}), sim.bands_after.get(name, {}), order=sim.band_order.get(name, []))
