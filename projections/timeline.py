"""A pass of the rules over timeline entries: the mechanics every rule shares.

`Run` applies entries to a `Core` in place, lets time pass between them (whatever falls due is
applied by the time-driven rules of `projections.due`), and records what it decided: the penalties
fired and the ones that ended. The event rules live in `projections.rules`; this module holds
points, nodes, the choice between competing penalties, and the passage of time.
"""

import hashlib

from projections.due import DUE_RULES, earliest_due
from projections.rules import RULES
from projections.policy import INSTANT_ACTIONS, TERMINAL_ACTIONS
from projections.rulebook import Measure, Rulebook, Rulebooks
from projections.state import FOREVER, Core, Ended, Entry, Key, Penalty
from schemas.commands import Action
from schemas.instants import DAY

_GONE = frozenset({Action.BAN.value, Action.CLEAR_OUT.value})
_CLEAR_OUT = Measure(Action.CLEAR_OUT.value)
_INSTANT = frozenset(a.value for a in INSTANT_ACTIONS)
_TERMINAL = frozenset(a.value for a in TERMINAL_ACTIONS)


def command_id(creator_id: str, event_id: str, rule: str, action: str) -> str:
    """Deterministic: the same creator, causing event, rule and action give the same id on every run."""
    digest = hashlib.sha256(f"{creator_id}|{event_id}|{rule}|{action}".encode()).hexdigest()
    return f"cmd-{digest[:24]}"


class Run:
    """The working memory of one pass: the Core it advances, and what was decided on the way."""

    __slots__ = ("core", "rulebook", "rulebooks", "creator_id", "fired", "ended", "notes", "noting", "place", "rank")

    def __init__(self, core: Core, rulebooks: Rulebooks, creator_id: str, noting: bool = False):
        self.core = core
        self.rulebooks = rulebooks
        self.rulebook: Rulebook = rulebooks[core.rulebook]
        self.creator_id = creator_id
        self.fired: list[tuple[Key, Penalty]] = []
        """What was decided, and where on the timeline."""
        self.ended: list[tuple[Penalty, Ended]] = []
        self.place: Key = (core.clock, "")
        self.rank = 0
        self.notes: list[str] = []
        self.noting = noting
        """Notes are kept only while applying the event being folded (re-applied events were noted before)."""

    def note(self, text: str) -> None:
        if self.noting:
            self.notes.append(text)

    def switch_rulebook(self, rulebook: Rulebook) -> None:
        """Enrolment and migration change which rules apply from here on."""
        self.core.rulebook, self.rulebook = rulebook.key, rulebook

    def refresh_due(self) -> None:
        found = earliest_due(self.core, self.rulebook)
        self.core.due = FOREVER if found is None else found[0]

    # The passage of time --------------------------------------------------
    def advance(self, to: int, seen: list | None = None) -> None:
        """Apply everything that falls due up to `to`, earliest first. Time only ever comes from events.
        Advancing in two steps gives exactly what one step gives, so ticks never change an outcome.
        `seen` collects what fell due, as (instant, rule, subject): the scheduler's question."""
        core = self.core
        if core.period is None and to and self.rulebook.policy.reset is not None:
            core.period = self.rulebook.period_of(to)  # the first instant the creator is seen
        while core.due <= to:
            found = earliest_due(core, self.rulebook)
            if found is None or found[0] > to:
                core.due = FOREVER if found is None else found[0]
                break
            at, kind, subject = found
            if seen is not None:
                seen.append(found)
            if at > core.clock:
                core.clock = at
            self.place, self.rank = (at, ""), 0
            DUE_RULES[kind](self, subject, at)
        if to > core.clock:
            core.clock = to

    def check(self, entry: Entry) -> str | None:
        """A refusal reason if the rules in force here refuse the entry; changes nothing."""
        return RULES[type(entry)][0](self, entry)

    def apply(self, entry: Entry) -> None:
        """Let time pass to the entry, then apply its rule. The entry was checked."""
        core = self.core
        if entry.at >= core.due or (core.period is None and self.rulebook.policy.reset is not None):
            self.advance(entry.at)
        elif entry.at > core.clock:
            core.clock = entry.at
        self.place, self.rank = (entry.at, entry.event_id), 0
        RULES[type(entry)][1](self, entry)
        self.refresh_due()

    def step(self, entry: Entry) -> str | None:
        """Check, then apply; returns the refusal reason, having changed nothing, or None."""
        reason = RULES[type(entry)][0](self, entry)
        if reason is None:
            self.apply(entry)
        return reason

    # Points and nodes -----------------------------------------------------
    def change_points(self, points: int, rule: str) -> tuple[int, int, list[tuple[str, Measure]]]:
        """Take a violation's points (deduct in credit mode, add in points mode). Returns the score before,
        after, and the penalties of the nodes crossed, for the caller to impose."""
        rb, core = self.rulebook, self.core
        before = core.score
        after = rb.clamp(before - points if rb.credit else before + points)
        core.score, core.rule = after, rule
        if rb.credit:
            crossed = [n for n in rb.nodes if before > n.at >= after]
        else:  # Ozone's 'highest threshold crossed': before < at <= after
            crossed = [n for n in rb.nodes if before < n.at <= after]
        penalties = [(f"node:{n.node.at}", p) for n in crossed for p in n.penalties]
        threshold = rb.clear_out_at
        if threshold is not None and before < threshold <= after:
            penalties.append(("clear_out", _CLEAR_OUT))
        return before, after, penalties

    def take_points(self, points: int, at: int, rule: str, cause: str, detail: str) -> None:
        """Points that arrive without a new violation (a deferred penalty whose exam was missed or failed)."""
        before, after, penalties = self.change_points(points, rule)
        # The deduction lands now, so the clean streak restarts now (DOMAIN edge 7).
        self.core.clean_since = at
        self.impose(penalties, at, cause, before, after, detail)
        self.renew_on_points(points, at, cause)

    def renew_on_points(self, points: int, at: int, cause: str) -> None:
        """Shopee: the tier-5 freeze is extended if more points arrive while it runs."""
        if points <= 0 or self.rulebook.credit:
            return
        for p in list(self.core.active):
            if p.renew and p.until is not None and p.until > at and p.cause != cause:
                again = Measure(p.action, p.renew // DAY, p.group, p.level, True)
                rule = p.rule if p.rule.startswith("extension:") else f"extension:{p.rule}"
                self.fire(rule, again, at, cause, self.core.score, self.core.score, "more points while it runs")

    # Penalties ------------------------------------------------------------
    def impose(self, penalties: list[tuple[str, Measure]], at: int, cause: str, before: int, after: int, detail: str = "") -> None:
        """Fire penalties that arose together. Within a group only the highest level applies (seed 001 §4.2)."""
        if not penalties:
            return
        if self.core.gone:
            self.note(f"{self.core.gone} in force: the account is gone, nothing further applies")
            return
        strongest: dict[str, tuple[str, Measure]] = {}
        chosen: list[tuple[str, Measure]] = []
        for rule, penalty in penalties:
            if penalty.group is None:
                chosen.append((rule, penalty))
                continue
            held = strongest.get(penalty.group)
            if held is None or _stronger(penalty, held[1]):
                strongest[penalty.group] = (rule, penalty)
        chosen.extend(strongest.values())
        for rule, penalty in chosen:
            self.fire(rule, penalty, at, cause, before, after, detail)

    def fire(self, rule: str, penalty: Measure, at: int, cause: str, before: int, after: int, detail: str = "") -> None:
        core, action = self.core, penalty.action
        kind = penalty.group or action
        if kind in core.closed:
            # seed 001 §3.2: a closure stops further penalties of its kind, not everything else.
            self.note(f"{rule}: {action} not imposed, {kind} is closed for good")
            return
        start = at
        until = None if penalty.days is None else at + penalty.days * DAY
        if penalty.group and action not in _INSTANT:
            running = [p for p in core.active if p.group == penalty.group]
            overlap = self.rulebook.policy.overlap
            if running and overlap == "extend":
                if any(p.until is None for p in running):
                    self.note(f"{rule}: {penalty.group} already permanent")
                    return
                start = max(p.until for p in running)  # type: ignore[type-var]
                until = None if penalty.days is None else start + penalty.days * DAY
            elif running and overlap == "max":
                if any(p.level >= penalty.level and _outlasts(p.until, until) for p in running):
                    self.note(f"{rule}: {action} absorbed by a stronger {penalty.group} penalty in force")
                    return
                self.end([p for p in running if p.level <= penalty.level and _outlasts(until, p.until)], "superseded", at, cause)
            elif running:
                self.end(running, "replaced", at, cause)
        record = Penalty(
            command_id(self.creator_id, cause, rule, action), action, start, until, rule, cause, penalty.group,
            penalty.level, before, after, detail, core.rulebook, penalty.days * DAY if penalty.extend_on_points and penalty.days else 0,
            at, self.rank,
        )
        self.rank += 1
        self.fired.append((self.place, record))
        core.rule = rule
        if action in _INSTANT:
            return
        core.active.append(record)
        if action in _TERMINAL and penalty.days is None:
            if action in _GONE:
                core.gone = action
            elif kind not in core.closed:
                core.closed.append(kind)

    def end(self, penalties: list[Penalty], rule: str, at: int, cause: str) -> None:
        if not penalties:
            return
        core = self.core
        gone = {p.id for p in penalties}
        core.active = [p for p in core.active if p.id not in gone]
        for p in penalties:
            self.ended.append((p, Ended(rule, at, cause, core.score)))
        # A terminal state holds only while a penalty behind it does.
        if core.closed:
            kinds = {p.group or p.action for p in core.active}
            core.closed = [k for k in core.closed if k in kinds]
        if core.gone and not any(p.action == core.gone for p in core.active):
            core.gone = None


def _stronger(a: Measure, b: Measure) -> bool:
    if a.level != b.level:
        return a.level > b.level
    return _outlasts(a.days, b.days) and a.days != b.days


def _outlasts(a: int | None, b: int | None) -> bool:
    """Does a period ending at `a` last at least as long as one ending at `b` (None is forever)?"""
    if a is None:
        return True
    return b is not None and a >= b
