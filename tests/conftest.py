"""Shared fixtures. Broker tests share one session-scoped tansu broker over TCP."""

import pytest

from streams.broker import EmbeddedBroker


@pytest.fixture(scope="session")
def broker(tmp_path_factory):
    """A real Kafka-protocol broker (tansu) on a loopback port; yields its bootstrap address."""
    log = tmp_path_factory.mktemp("tansu") / "tansu.log"
    with EmbeddedBroker(log_path=str(log)) as running:
        yield running.bootstrap
