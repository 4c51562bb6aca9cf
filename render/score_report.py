"""`tally report --projection scores --creator ID`: an operator's three scores over time, on one HTML page.

The scores as now known (the operator's events folded in event-time order: a score stands on the set of events up
to an instant, so this is what the journal says today of each past instant), the bands of each score as dashed
lines, the grant and withhold commands on the same time axis, and a table of every step with the rule behind it.

Pure: events in, a string out; the same journal gives the same bytes.
"""

from html import escape
from typing import Any, Iterable

from projections.scores.fold import SCORE_TYPES, fold_scores
from projections.scores.policy import ScorePolicy, exact
from projections.scores.standing import score_view
from render.report import Axis, _legend, _page
from schemas.instants import DAY, format_instant, parse_instant
from schemas.points import format_points

SCORE_COLOURS = ("#264653", "#e76f51", "#6a4c93", "#bc6c25", "#577590")
ACTION_COLOURS = {"grant": "#2a9d8f", "withhold": "#d62828"}


def operator_report(events: Iterable[dict[str, Any]], operator: str, policy: ScorePolicy) -> str:
    mine = [e for e in events if e["creator_id"] == operator and e["type"] in SCORE_TYPES]
    if not mine:
        raise ValueError(f"operator {operator!r} has no score events in the journal")
    names = list(policy.scores)
    colours = dict(zip(names, SCORE_COLOURS))

    steps, state = [], None
    for index, event in enumerate(mine):  # journal order: what was decided, and sent, at each event
        state, commands, outcome = fold_scores(state, event, policy)
        steps.append({"index": index, "event": event, "at": parse_instant(event["occurred_at"]), "outcome": outcome,
                      "scores": {n: s["score"] for n, s in score_view(state, policy)["scores"].items()},
                      "commands": [c.as_dict() for c in commands]})
    final = score_view(state, policy)

    known: dict[str, list[tuple[int, int | None]]] = {n: [] for n in names}
    ordered, now_state = sorted(mine, key=lambda e: (parse_instant(e["occurred_at"]), e["event_id"])), None
    for event in ordered:  # event-time order: the scores as now known at each instant
        now_state, _, _ = fold_scores(now_state, event, policy)
        view = score_view(now_state, policy)["scores"]
        for name in names:
            score = view[name]["score"]
            known[name].append((now_state.latest, None if score is None else round(exact(score) * 100)))

    start, end = min(s["at"] for s in steps), max(s["at"] for s in steps) + 7 * DAY
    W, left, right, top, height = 1240, 150, 24, 16, 280
    axis = Axis(start, end, left, W - left - right)
    high = round(exact(policy.scale) * 100)
    y = lambda v: round(top + height - v * height / high, 1)  # noqa: E731

    svg = ["HEADER", axis.draw(top, top + height)]
    for v in range(0, high + 1, 100):
        svg.append(f'<line class="grid" x1="{left}" x2="{W - right}" y1="{y(v)}" y2="{y(v)}"/><text x="{left - 8}" y="{y(v) + 4}" text-anchor="end">{format_points(v)}</text>')
    drawn: set[tuple[int, str]] = set()
    for name, rule in policy.scores.items():
        for band in rule.bands[:-1]:
            at = round(exact(band.at_least) * 100)
            if (at, band.name) in drawn:
                continue
            drawn.add((at, band.name))
            svg.append(f'<line x1="{left}" x2="{W - right}" y1="{y(at)}" y2="{y(at)}" stroke="#999" stroke-dasharray="6 4"/>'
                       f'<text x="{W - right - 4}" y="{y(at) - 4}" text-anchor="end">{escape(band.name)} from {escape(band.at_least)}</text>')
    for name in names:
        svg.append(_score_path(known[name], axis, y, end, colours[name], f"{name} as now known"))
    for s in steps:
        for name, score in s["scores"].items():
            if score is not None and any(c["score"] == name for c in s["commands"]):
                svg.append(f'<circle class="mk" data-step="{s["index"]}" cx="{axis.x(s["at"])}" cy="{y(round(exact(score) * 100))}" r="4" fill="{colours[name]}">'
                           f'<title>{escape(_title(s))}</title></circle>')

    row = top + height + 34
    for name in names:
        svg.append(f'<text x="{left - 8}" y="{row + 4}" text-anchor="end">{escape(name.replace("_", " "))}</text><line x1="{left}" x2="{W - right}" y1="{row}" y2="{row}" stroke="#f1f1f1"/>')
        for s in steps:
            for c in s["commands"]:
                if c["score"] != name:
                    continue
                x, up = axis.x(parse_instant(c["effective_from"])), c["action"] == "grant"
                points = f"{x},{row - 7} {x + 6},{row + 5} {x - 6},{row + 5}" if up else f"{x},{row + 7} {x + 6},{row - 5} {x - 6},{row - 5}"
                tip = f"{c['action']} {c['resource']} ({c['band']}) from {c['effective_from']} because {c['reason']['rule']}: {c['reason']['detail']} [{c['command_id']}]"
                svg.append(f'<polygon class="mk command" data-step="{s["index"]}" points="{points}" fill="{ACTION_COLOURS[c["action"]]}"><title>{escape(tip)}</title></polygon>')
        row += 24
    svg.append(f'<text x="{left}" y="{row + 8}" class="note">lines: each score as now known (the events up to each instant) · dots: a band changed here, as decided · '
               '▲ grant, ▼ withhold</text>')
    total = row + 20
    svg[0] = f'<svg id="score-chart" xmlns="http://www.w3.org/2000/svg" width="{W}" height="{total}" viewBox="0 0 {W} {total}" role="img" aria-label="scores over time">'

    cards = [(s["score"] or "-", f'{n.replace("_", " ")}: {s["band"]}') for n, s in final["scores"].items()]
    cards += [(str(len(mine)), "score events"), (str(sum(len(s["commands"]) for s in steps)), "resource commands"), (f"{policy.id} {policy.version}", "score policy")]
    body = ['<div class="cards">' + "".join(f'<div class="card"><b>{escape(v)}</b><span>{escape(k)}</span></div>' for v, k in cards) + "</div>"]
    body.append("<section><h2>Scores over time, with the commands they decided</h2>" + "".join(svg) + "</svg>"
                + _legend([(n.replace("_", " "), colours[n]) for n in names] + list(ACTION_COLOURS.items())) + "</section>")
    body.append("<section><h2>Granted now</h2><table><thead><tr><th>score</th><th>band</th><th>grants</th><th>withholds</th><th>window means</th></tr></thead><tbody>")
    for name, s in final["scores"].items():
        means = ", ".join(f"{k} {v}" for k, v in s["metrics"].items())
        body.append(f"<tr><td>{escape(name)}</td><td>{escape(s['band'])}</td><td>{escape(', '.join(s['grants']) or '-')}</td>"
                    f"<td>{escape(', '.join(s['withholds']) or '-')}</td><td>{escape(means or '-')}</td></tr>")
    body.append("</tbody></table></section>")
    body.append('<section><h2>Every step, and the rule behind it</h2><table id="steps"><thead><tr><th>#</th><th>occurred</th><th>event</th><th>outcome</th>'
                + "".join(f"<th>{escape(n.replace('_', ' '))}</th>" for n in names) + "<th>commands</th></tr></thead><tbody>")
    for s in steps:
        body.append(_row(s, names))
    body.append("</tbody></table></section>")
    span = f"{format_instant(start)} to {format_instant(max(s['at'] for s in steps))}"
    return _page(f"Operator {operator}", f"{escape(policy.title)} · {span} · click a marker to find its step", "".join(body))


def _score_path(points: list[tuple[int, int | None]], axis: Axis, y, end: int, colour: str, title: str) -> str:
    """A step line; gaps while unrated."""
    path, last = [], None
    for at, value in points:
        if value is None:
            last = None
            continue
        path.append(f"M{axis.x(at)},{y(value)}" if last is None else f" H{axis.x(at)} V{y(value)}")
        last = value
    if last is not None:
        path.append(f" H{axis.x(end)}")
    return f'<path d="{"".join(path)}" fill="none" stroke="{colour}" stroke-width="2.4"><title>{escape(title)}</title></path>' if path else ""


def _title(s: dict[str, Any]) -> str:
    e = s["event"]
    return f"#{s['index']} {e['occurred_at']} {e['type']} ({e['event_id']}): " + ", ".join(f"{n} {v or '-'}" for n, v in s["scores"].items())


def _row(s: dict[str, Any], names: list[str]) -> str:
    e, o = s["event"], s["outcome"]
    what = e.get("report_id") or e.get("violation_id") or ""
    outcome = o.status + (f": {o.reason}" if o.reason else "")
    commands = "<br>".join(f'<span class="pill" style="background:{ACTION_COLOURS[c["action"]]}">{escape(c["action"])} {escape(c["resource"])}</span>'
                           f' <span class="rule">{escape(c["reason"]["rule"])}</span>' for c in s["commands"])
    cells = "".join(f"<td>{escape(s['scores'][n] or '-')}</td>" for n in names)
    css = ' class="refused"' if o.status != "folded" else ""
    return (f'<tr id="step-{s["index"]}"{css}><td>{s["index"]}</td><td>{escape(e["occurred_at"])}</td><td>{escape(e["type"])} {escape(what)}</td>'
            f"<td>{escape(outcome)}</td>{cells}<td>{commands}</td></tr>")
