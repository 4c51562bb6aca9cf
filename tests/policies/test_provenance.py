"""Provenance (docs/policies.md): every number of every shipped pack cites its source or says it is
illustrative, every provenance path names something, and every cited seed clause and quote exists."""

import re

import pydantic
import pytest
import yaml

from projections.policy import Policy
from projections.provenance import Reference, citation_problems, references, sourced, unsourced
from tests.policies.golden import ROOT
from tests.policies.test_packs import PACKS

SOURCES = ROOT / "docs" / "sources"
"""Copies of the seeds and DOMAIN.md (docs/sources/README.md)."""
SEEDS = SOURCES / "seeds"
DOMAIN = SOURCES / "DOMAIN.md"
# After a clause marker: not a longer number ("3.4" is not "3.45" or "13.4"; "二" is not "二十").
_MARKER_END = r"(?![0-9一二三四五六七八九十]|\.[0-9])"


def source_text(document: str) -> str | None:
    """The text a citation's document names: 'seed 004' is seeds/004_*.txt; None if there is no such file."""
    if document == "DOMAIN.md":
        return DOMAIN.read_text(encoding="utf-8") if DOMAIN.is_file() else None
    files = sorted(SEEDS.glob(f"{document.removeprefix('seed ')}_*.txt"))
    return files[0].read_text(encoding="utf-8") if len(files) == 1 else None


def has_clause(text: str, clause: str) -> bool:
    """A clause is a line that starts with its marker: '3.4 申诉处理', '二、违规处罚', 'A1 部分...'."""
    return re.search(rf"^[\s#*-]*{re.escape(clause)}{_MARKER_END}", text, re.M) is not None


def has_words(text: str, quote: str) -> bool:
    """The quoted words occur in the text; line breaks and runs of spaces count as one space."""
    return " ".join(quote.split()) in " ".join(text.split())


def unfound(reference: Reference) -> list[str]:
    """What a reference cites that its document does not contain."""
    text = source_text(reference.document)
    if text is None:
        return [f"{reference.document}: no such file"]
    missing = [f"{reference.document} §{c}: no such clause" for c in reference.clauses if not has_clause(text, c)]
    return missing + [f'{reference.document} "{q}": not in its text' for q in reference.quotes if not has_words(text, q)]


@pytest.mark.parametrize("stem", sorted(PACKS))
def test_every_number_of_the_pack_cites_a_source_or_is_illustrative(stem: str):
    policy = PACKS[stem]
    assert unsourced(policy.provenance, policy.rules_data()) == [], "add these paths (or a path above them) to provenance"


@pytest.mark.parametrize("stem", sorted(PACKS))
def test_every_seed_clause_and_quote_the_pack_cites_exists(stem: str):
    problems = [f"{path}: {problem}" for path, citation in PACKS[stem].provenance.items()
                for reference in references(citation) for problem in unfound(reference)]
    assert problems == []


def test_the_citation_check_notices_what_is_not_there():
    """The slip this test was written for: DOMAIN.md has no yearly reset for Kuaishou."""
    assert unfound(references('DOMAIN.md "yearly reset of accumulated points"')[0])
    assert unfound(references("seed 004 §九")[0]) == ["seed 004 §九: no such clause"]
    assert unfound(references("seed 001 §3.45")[0]) and unfound(references("seed 001 §13.4")[0])
    assert unfound(references("seed 009 §一")[0]) == ["seed 009: no such file"]
    assert unfound(references('seed 001 §3.4 §4.2 "信用分上限为12分"')[0]) == []
    assert unfound(references('seed 002 §二 "禁言 1 天、7 天、15 天直至永久禁言"')[0]) == []


def test_the_guide_cites_as_it_teaches():
    """docs/policies.md's example provenance is well formed and its clauses and quotes exist."""
    guide = (ROOT / "docs" / "policies.md").read_text(encoding="utf-8")
    example = next(block for block in re.findall(r"```yaml\n(.*?)```", guide, re.S) if "provenance:" in block)
    citations = yaml.safe_load(example)["provenance"].values()
    assert [p for c in citations for p in citation_problems(c)] == []
    assert [m for c in citations for r in references(c) for m in unfound(r)] == []


def test_a_number_with_no_source_is_reported():
    policy = PACKS["community-comments"]
    provenance = {path: citation for path, citation in policy.provenance.items() if path != "appeals"}
    assert unsourced(provenance, policy.rules_data()) == ["appeals.window_days"]


def test_the_most_specific_path_gives_the_source():
    policy = PACKS["douyin-creator-2023"]
    sources = {s.path: s.citation for s in sourced(policy.provenance, policy.rules_data())}
    assert sources["catalogue.service_not_honoured.points.minor"].startswith("seed 003")
    assert sources["catalogue.service_not_honoured.points.general"].startswith("illustrative")


@pytest.mark.parametrize(
    ("path", "citation", "message"),
    [
        ("appeals.window_dayz", "illustrative: typo", "names nothing in this policy: appeals.window_dayz"),
        ("nodes[at=5]", "illustrative: no such node", "names nothing in this policy: nodes[at=5]"),
        ("appeals.window_days", "illustrative", "say why it is illustrative"),
        ("appeals.window_days", "the industry norm", "cite a seed or DOMAIN.md"),
        ("appeals.window_days", "seed 002 says so", "pin seed 002 down"),
        ("appeals.window_days", "seed 002 §二, §三", "must follow its seed"),
        ("appeals..window_days", "illustrative: bad path", "not a policy path"),
    ],
)
def test_a_malformed_provenance_entry_is_refused_on_load(path: str, citation: str, message: str):
    data = PACKS["community-comments"].model_dump(mode="json")
    data["provenance"][path] = citation
    with pytest.raises(pydantic.ValidationError, match=re.escape(message)):
        Policy.model_validate(data)


def test_policy_show_prints_each_number_with_its_source(capsys):
    from cli.main import main

    assert main(["policy", "show", "community-comments", "--policies", str(ROOT / "policies")]) == 0
    shown = capsys.readouterr().out
    policy = PACKS["community-comments"]
    for number in sourced(policy.provenance, policy.rules_data()):
        assert f"# {number.path}: {number.value}  ({number.citation})" in shown
    assert '# nodes[at=2].penalties[0].days: 7  (seed 002 §二 "禁言 1 天、7 天、15 天直至永久禁言")' in shown
    assert "# appeals.window_days: 7  (illustrative: " in shown

