"""Provenance: where each number of a policy comes from.

A pack's `provenance` maps paths of the policy to citations. A path names a part of the policy
(`appeals.window_days`, `catalogue.bad_comment.points`, `catalogue.*.exam`, `nodes[at=8]`,
`escalation[*].window_days`) and covers everything under it; the most specific path wins.
A citation is either `illustrative: <why we chose it>` or names its sources, each pinned to
words that can be checked:

    seed 001 §4.3                 a clause: a line of seed 001 starts with "4.3"
    seed 004 §二 §A1              several clauses ("二、...", "A1 ...")
    seed 003 "0.5~3分"            words that occur in the seed
    DOMAIN.md (3p) "tiers at 3 / 6 / 9 / 12 / 15"

Anything else in a citation is a note for the reader. This module only reads the policy as data;
checking the cited words against the seed files is the tests' job (no files in the domain core).
"""

import re
from dataclasses import dataclass
from typing import Any, Iterator

ILLUSTRATIVE = "illustrative"
NOT_RULES = frozenset({"id", "version", "role", "title", "provenance", "scenarios"})
"""Top-level fields that name the pack or test it: they rule nothing, so nothing in them needs a source."""
CHOICES = frozenset({"overlap", "reset.every", "migration.keep_severities"})
"""Choices that weigh like numbers and need a source too: how a running penalty meets a new one,
when points reset, which records a migration keeps."""

_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?|[+-]\d\d:\d\d")  # points, days, counts, levels; a UTC offset
_PATH = re.compile(r"(?:[\w-]+|\*)(?:\.(?:[\w-]+|\*)|\[[^\]]+\])*")
_TOKEN = re.compile(r"[\w-]+|\*|\[[^\]]+\]")
_WILDCARDS = ("*", "[*]")
_ILLUSTRATIVE = re.compile(rf"{ILLUSTRATIVE}: \S.*", re.S)
_REFERENCE = re.compile(r'(seed (\d{3})|DOMAIN\.md)((?:\s+\(3p\)|\s+§[^\s,;:()"]+|\s+"[^"]+")*)')
_SPECIFIER = re.compile(r'§([^\s,;:()"]+)|"([^"]+)"')

Path = tuple[str, ...]


@dataclass(frozen=True)
class Reference:
    """One source a citation names, with the clauses and words that pin it down."""

    document: str
    """'seed 001' or 'DOMAIN.md'."""
    clauses: tuple[str, ...]
    quotes: tuple[str, ...]


def parse_path(text: str) -> Path:
    """'nodes[at=8].penalties[0].days' -> ('nodes', '[at=8]', 'penalties', '[0]', 'days')."""
    if not _PATH.fullmatch(text):
        raise ValueError(f"not a policy path: {text!r} (fields with dots, * for any key, list items as [at=8], [name=x], [0] or [*])")
    return tuple(_TOKEN.findall(text))


def format_path(path: Path) -> str:
    return "".join(token if token.startswith("[") or not index else f".{token}" for index, token in enumerate(path))


def references(citation: str) -> list[Reference]:
    """The sources a citation names, in order."""
    found = []
    for match in _REFERENCE.finditer(citation):
        specifiers = _SPECIFIER.findall(match.group(3))
        document = f"seed {match.group(2)}" if match.group(2) else "DOMAIN.md"
        found.append(Reference(document, tuple(c for c, _ in specifiers if c), tuple(q for _, q in specifiers if q)))
    return found


def citation_problems(citation: str) -> list[str]:
    """What is wrong with a citation's form; its words are checked against the sources elsewhere."""
    problems = []
    if citation.startswith(ILLUSTRATIVE):
        if not _ILLUSTRATIVE.fullmatch(citation):
            problems.append(f"say why it is illustrative: {ILLUSTRATIVE}: <reason> ({citation!r})")
    elif not _REFERENCE.search(citation):
        problems.append(f"cite a seed or DOMAIN.md, or write {ILLUSTRATIVE}: <reason> ({citation!r})")
    for match in _REFERENCE.finditer(citation):
        if not _SPECIFIER.search(match.group(3)):
            problems.append(f"pin {match.group(1)} down with a §clause or \"quoted words\" ({citation!r})")
    loose = _REFERENCE.sub("", citation)
    if "§" in loose or '"' in loose:
        problems.append(f"a §clause or quote must follow its seed or DOMAIN.md ({citation!r})")
    return problems


def walk(rules: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every part of the policy's rules with its path, containers included. List items are named by their
    `at` (nodes) or `name` (escalation rules), others by position."""
    yield path, rules
    if isinstance(rules, dict):
        for key, value in rules.items():
            yield from walk(value, (*path, key))
    elif isinstance(rules, list):
        for index, item in enumerate(rules):
            yield from walk(item, (*path, _item_token(item, index)))


def _item_token(item: Any, index: int) -> str:
    if isinstance(item, dict):
        for key in ("at", "name"):
            if key in item:
                return f"[{key}={item[key]}]"
    return f"[{index}]"


def ruled_values(rules: dict) -> list[tuple[Path, Any]]:
    """The numbers and the weighty choices of a policy: what needs a source."""
    return [(path, value) for path, value in walk(rules) if format_path(path) in CHOICES or _is_number(value)]


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, (int, float)) or (isinstance(value, str) and _NUMBER.fullmatch(value) is not None)


def covers(pattern: Path, path: Path) -> bool:
    """Does a provenance path cover this part of the policy (itself or something under it)?"""
    return len(pattern) <= len(path) and all(p == t or _wildcard_matches(p, t) for p, t in zip(pattern, path))


def _wildcard_matches(pattern: str, token: str) -> bool:
    """`*` stands for any key of a mapping (any catalogue code), `[*]` for any item of a list."""
    return (pattern == "*" and not token.startswith("[")) or (pattern == "[*]" and token.startswith("["))


def citation_for(provenance: dict[str, str], path: Path) -> str | None:
    """The citation of the most specific provenance path covering `path`; None if none does."""
    covering = [(parse_path(key), citation) for key, citation in provenance.items() if covers(parse_path(key), path)]
    if not covering:
        return None
    _, citation = max(covering, key=lambda kc: (len(kc[0]), -sum(token in _WILDCARDS for token in kc[0])))
    return citation


def unnamed_paths(provenance: dict[str, str], rules: dict) -> list[str]:
    """Provenance paths that name nothing in the policy (a typo, or a rule since removed)."""
    parts = [path for path, _ in walk(rules)]
    return [key for key in provenance if not any(len(parse_path(key)) == len(p) and covers(parse_path(key), p) for p in parts)]


@dataclass(frozen=True)
class Sourced:
    """A number (or weighty choice) of the policy and the citation that covers it, if any."""

    path: str
    value: Any
    citation: str | None


def sourced(provenance: dict[str, str], rules: dict) -> list[Sourced]:
    return [Sourced(format_path(path), value, citation_for(provenance, path)) for path, value in ruled_values(rules)]


def unsourced(provenance: dict[str, str], rules: dict) -> list[str]:
    """Numbers and choices no provenance path covers."""
    return [s.path for s in sourced(provenance, rules) if s.citation is None]


def check_provenance(provenance: dict[str, str]) -> dict[str, str]:
    """A policy model's validator: every path well formed, every citation pinned to checkable words."""
    for path, citation in provenance.items():
        parse_path(path)
        problems = citation_problems(citation)
        if problems:
            raise ValueError(f"{path}: {problems[0]}")
    return provenance


def check_paths_name_something(provenance: dict[str, str], rules: dict) -> None:
    unnamed = unnamed_paths(provenance, rules)
    if unnamed:
        raise ValueError(f"provenance names nothing in this policy: {', '.join(unnamed)}")
