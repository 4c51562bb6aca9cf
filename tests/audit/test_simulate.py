"""`tally simulate`: the same journal under a candidate policy; commands added/removed, outcomes, distributions."""

import json
from pathlib import Path

import yaml

PINNED = Path(__file__).parent / "fixtures" / "policies" / "douyin-creator-2022.yaml"


def candidate(tmp_path, **points):
    policy = yaml.safe_load(PINNED.read_text())
    policy["version"] = "2022.02-stricter"
    for code, severities in points.items():
        policy["catalogue"][code]["points"].update(severities)
    path = tmp_path / "candidate.yaml"
    path.write_text(yaml.safe_dump(policy, allow_unicode=True))
    return path


def test_a_stricter_candidate_adds_commands_and_moves_the_distribution(tally, journal_file, tmp_path):
    path = candidate(tmp_path, prohibited_goods={"general": "6"}, false_advertising={"minor": "2", "general": "3"})
    done = tally("simulate", "--policy", path, journal_file, "--json")
    sim = json.loads(done.stdout)
    assert sim["baseline"] == "douyin-creator-2022 2022.02" and sim["candidate"] == "douyin-creator-2022 2022.02-stricter"
    assert sim["events"] > 4000 and sim["creators"] == 200
    assert sim["commands_after"] != sim["commands_before"] and sim["removed"]
    assert sim["added"] and sim["creators_changed"] > 0
    assert {"creator_id", "action", "rule", "effective_from", "count"} == set(sim["added"][0])
    before, after = sim["score_histogram_before"], sim["score_histogram_after"]
    [name] = before
    assert sum(before[name].values()) == sum(after[name].values()) == 200
    mean = lambda h: sum(int(b) * n for b, n in h.items()) / sum(h.values())  # noqa: E731
    assert mean(after[name]) <= mean(before[name])

    text = tally("simulate", "--policy", path, journal_file).stdout.decode()
    assert "creators whose outcome changes" in text and "commands added" in text
    assert "score distribution, douyin-creator-2022 (credit):   before | after" in text and "█" in text


def test_the_same_policy_changes_nothing(tally, journal_file, tmp_path):
    sim = json.loads(tally("simulate", "--policy", PINNED, journal_file, "--json").stdout)
    assert sim["added"] == [] and sim["removed"] == [] and sim["creators_changed"] == 0
    assert sim["score_histogram_before"] == sim["score_histogram_after"]
