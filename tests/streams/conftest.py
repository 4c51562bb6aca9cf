"""Live fixtures: real tansu (the session `broker`), real `tally worker` processes, unique topics per module."""

import time
import uuid
from pathlib import Path

import pytest

from projections.rulebook import Rulebooks
from service.policies import load_rulebooks, shipped_policies_dir
from streams.broker import free_port
from streams.settings import Settings

KEYS = {"detector.a": "key-detector-a", "detector.b": "key-detector-b", "appeal-desk": "key-desk", "exam-service": "key-exams", "admin": "key-admin",
        "metrics.service": "key-metrics"}
START_CLOCK = "2024-02-01T00:00:00Z"
EXAM_LINE = '    exam: {deadline_days: 3, on_miss: [{action: restrict_listings}], severities: [serious]}\n'


def policies_with_exam(directory: Path) -> Path:
    """The shipped douyin-creator-2022 pack, plus a mandatory exam on serious counterfeit goods (the shipped
    packs have none) so the exam-deadline path can be exercised."""
    directory.mkdir(parents=True, exist_ok=True)
    text = (shipped_policies_dir() / "douyin-creator-2022.yaml").read_text()
    anchor = "  counterfeit_goods:\n    title: 售假 (counterfeit goods)\n    points: {serious: \"6\", especially_serious: \"12\"}\n    corrective: [delist_product]\n"
    assert anchor in text, "shipped policy changed; update the test policy"
    (directory / "douyin-creator-2022.yaml").write_text(text.replace(anchor, anchor + EXAM_LINE))
    return directory


def live_settings(broker: str, tmp: Path, **overrides) -> Settings:
    tag = uuid.uuid4().hex[:8]
    clock = tmp / "now"
    clock.write_text(START_CLOCK)
    values = dict(
        broker_url=f"kafka://{broker}", app_id=f"tally-test-{tag}", partitions=2,
        topic_violations=f"t{tag}.violations", topic_appeals=f"t{tag}.appeals", topic_exams=f"t{tag}.exams", topic_metrics=f"t{tag}.metrics",
        topic_journal=f"t{tag}.journal", topic_penalties=f"t{tag}.penalties", topic_resources=f"t{tag}.resources",
        topic_deadletter=f"t{tag}.deadletter",
        source_keys=KEYS, policies_dir=str(policies_with_exam(tmp / "policies")), data_dir=str(tmp / "data"),
        clock_file=str(clock), web_port=free_port(), scheduler_interval=0.2, log_level="INFO",
    )
    values.update(overrides)
    return Settings(_env_file=None, **values)


def rulebooks_for(settings: Settings) -> Rulebooks:
    return load_rulebooks(settings.policies_dir, settings.default_rulebook)


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


@pytest.fixture(scope="session")
def live():
    """Helpers for live tests (fixtures, because test modules are imported without a package)."""

    class Live:
        keys = KEYS
        settings = staticmethod(live_settings)
        rulebooks = staticmethod(rulebooks_for)
        wait = staticmethod(wait_for)

    return Live
