"""`tally simulate --projection scores`: the same journal under two score policies, compared. Pure.

Commands are compared by what they do (operator, score, resource, action, band, effective_from), since ids
differ between policies; operators are compared by where they stand at the end (each score's band); the band
distributions before and after are counted per score.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

from projections.scores.evaluate import UNRATED
from projections.scores.policy import ScorePolicy
from service.projections import scores
from service.replay import Replayer

CommandKey = tuple[str, str, str, str, str, str]


def command_key(command: Any) -> CommandKey:
    return (command.creator_id, command.score, command.resource, command.action, command.band, command.effective_from)


@dataclass
class ScoreSimulation:
    baseline: str
    candidate: str
    events: int = 0
    operators: int = 0
    commands_before: int = 0
    commands_after: int = 0
    added: list[tuple[CommandKey, int]] = field(default_factory=list)
    removed: list[tuple[CommandKey, int]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    """Operators whose band of some score differs at the end: {operator, score, before, after} with the scores."""
    bands_before: dict[str, dict[str, int]] = field(default_factory=dict)
    bands_after: dict[str, dict[str, int]] = field(default_factory=dict)
    band_order: dict[str, list[str]] = field(default_factory=dict)
    """Per score, its bands from the highest, of both policies, then unrated: how the distributions are listed."""

    def as_dict(self) -> dict[str, Any]:
        def keyed(entries):
            return [{"creator_id": k[0], "score": k[1], "resource": k[2], "action": k[3], "band": k[4], "effective_from": k[5], "count": n}
                    for k, n in entries]

        return {"baseline": self.baseline, "candidate": self.candidate, "events": self.events, "operators": self.operators,
                "commands_before": self.commands_before, "commands_after": self.commands_after,
                "added": keyed(self.added), "removed": keyed(self.removed), "operators_changed": len({c["creator_id"] for c in self.changed}),
                "changed": self.changed, "bands_before": self.bands_before, "bands_after": self.bands_after}


def simulate_scores(events: Iterable[dict[str, Any]], baseline: ScorePolicy, candidate: ScorePolicy) -> ScoreSimulation:
    """Fold the same events under both score policies in one pass and compare."""
    before, after = Replayer(scores(baseline)), Replayer(scores(candidate))
    keys_before: Counter = Counter()
    keys_after: Counter = Counter()
    sim = ScoreSimulation(f"{baseline.id} {baseline.version}", f"{candidate.id} {candidate.version}")
    for event in events:
        sim.events += 1
        keys_before.update(command_key(c) for c in before.feed(event).commands)
        keys_after.update(command_key(c) for c in after.feed(event).commands)
    sim.commands_before, sim.commands_after = sum(keys_before.values()), sum(keys_after.values())
    sim.added = sorted((keys_after - keys_before).items())
    sim.removed = sorted((keys_before - keys_after).items())
    views_before = {v["creator_id"]: v["scores"] for v in before.views()}
    views_after = {v["creator_id"]: v["scores"] for v in after.views()}
    sim.operators = len(views_before)
    for operator in sorted(views_before):
        b, a = views_before[operator], views_after[operator]
        for name in sorted(set(b) | set(a)):
            old, new = b.get(name, {}), a.get(name, {})
            if old.get("band") != new.get("band"):
                sim.changed.append({"creator_id": operator, "score": name, "band_before": old.get("band"), "band_after": new.get("band"),
                                    "score_before": old.get("score"), "score_after": new.get("score")})
    sim.bands_before, sim.bands_after = _bands(views_before.values()), _bands(views_after.values())
    for policy in (baseline, candidate):
        for name, rule in policy.scores.items():
            order = sim.band_order.setdefault(name, [])
            order += [band.name for band in rule.bands if band.name not in order]
    for order in sim.band_order.values():
        order.append(UNRATED)
    return sim


def _bands(views: Iterable[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """score -> band -> operators."""
    out: dict[str, Counter] = {}
    for scores_of in views:
        for name, standing in scores_of.items():
            out.setdefault(name, Counter())[standing["band"]] += 1
    return {name: dict(sorted(counter.items())) for name, counter in sorted(out.items())}
