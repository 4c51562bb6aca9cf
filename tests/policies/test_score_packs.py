"""The shipped score policies: each validates, cites a source for every number (or says it is illustrative),
and proves its rules with scenarios; the format refuses what cannot be computed."""

import pydantic
import pytest
import yaml

from projections.provenance import references, unsourced
from projections.scores.policy import ScorePolicy
from service.policies import SCORE_POLICIES, shipped_score_policies
from service.scenarios import run_scenario
from tests.policies.test_provenance import unfound

POLICIES = {policy.id: policy for policy in shipped_score_policies()}
SCENARIOS = [(pid, s) for pid, p in POLICIES.items() for s in p.scenarios]


def test_kuaishou_s_operator_evaluation_ships():
    assert set(POLICIES) == {"kuaishou-operator-2023"}
    assert set(POLICIES["kuaishou-operator-2023"].scores) == {"store_experience", "product", "promoter_reputation"}


@pytest.mark.parametrize("pid", sorted(POLICIES))
def test_every_number_cites_a_source_or_is_illustrative_and_every_citation_exists(pid):
    policy = POLICIES[pid]
    assert unsourced(policy.provenance, policy.rules_data()) == []
    assert [f"{path}: {problem}" for path, citation in policy.provenance.items() for r in references(citation) for problem in unfound(r)] == []


@pytest.mark.parametrize(("pid", "scenario"), SCENARIOS, ids=[s.name[:60] for _, s in SCENARIOS])
def test_scenario(pid, scenario):
    result = run_scenario(POLICIES[pid], scenario)
    assert result.passed, "\n".join(result.diff)


def data() -> dict:
    return yaml.safe_load((SCORE_POLICIES / "kuaishou-operator-2023.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["scores"]["product"]["inputs"][0].update(weight="0.6"), "weights of a score must add up to 1"),
    (lambda d: d["scores"]["product"]["inputs"][0].update(metric="open_rate"), "not a metric of product_metrics_reported"),
    (lambda d: d["scores"]["product"]["bands"].reverse(), "bands go from the highest"),
    (lambda d: d["scores"]["product"]["bands"][-1].update(at_least="1"), "the last band must start at 0"),
    (lambda d: d["scores"]["product"]["inputs"][0].update(best="0.3"), "worst and best must differ"),
    (lambda d: d["provenance"].update({"scores.nothing": "illustrative: x"}), "provenance names nothing"),
])
def test_the_format_refuses_what_cannot_be_computed(change, message):
    broken = data()
    change(broken)
    with pytest.raises(pydantic.ValidationError, match=message):
        ScorePolicy.model_validate(broken)
