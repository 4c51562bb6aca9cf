"""Shared fixtures. Broker tests share one session-scoped tansu broker over TCP."""

import os

import pytest
from hypothesis import settings

# HYPOTHESIS_PROFILE=deep for a long local hunt; CI runs the default.
settings.register_profile("default", max_examples=80)
settings.register_profile("deep", max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

from streams.broker import EmbeddedBroker


@pytest.fixture(scope="session")
def broker(tmp_path_factory):
    """A real Kafka-protocol broker (tansu) on a loopback port; yields its bootstrap address."""
    log = tmp_path_factory.mktemp("tansu") / "tansu.log"
    with EmbeddedBroker(log_path=str(log)) as running:
        yield running.bootstrap
