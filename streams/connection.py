"""How every Kafka client Tally makes connects: bootstrap servers, SASL and TLS, all from `Settings`.

One place, so that the worker (Faust), the CLI's plain clients (kafka-python) and the journal readers
and writers of the auditors (aiokafka) reach the same cluster with the same credentials.

A bare "host:port" string stands for a plain connection (the embedded broker of the demo, the tests
and the benchmarks); anything that needs credentials passes the Settings.
"""

import ssl
from typing import Any

from streams.settings import Settings

Broker = Settings | str
"""Where to connect: the settings, or a bare bootstrap "host:port[,host:port]" for a plain connection."""


def bootstrap_of(broker: Broker) -> str:
    return broker if isinstance(broker, str) else broker.bootstrap


def _security(settings: Settings) -> tuple[str, dict[str, Any]]:
    """The security protocol and the SASL options, named as aiokafka and kafka-python both name them."""
    if settings.sasl_username:
        password = settings.sasl_password.get_secret_value() if settings.sasl_password else ""
        sasl = {"sasl_mechanism": settings.sasl_mechanism, "sasl_plain_username": settings.sasl_username, "sasl_plain_password": password}
        return ("SASL_SSL" if settings.broker_tls else "SASL_PLAINTEXT"), sasl
    return ("SSL" if settings.broker_tls else "PLAINTEXT"), {}


def aiokafka_options(broker: Broker) -> dict[str, Any]:
    """Keyword arguments for aiokafka's consumer, producer and admin client."""
    if isinstance(broker, str):
        return {"bootstrap_servers": broker}
    protocol, sasl = _security(broker)
    options: dict[str, Any] = {"bootstrap_servers": broker.bootstrap, "security_protocol": protocol, **sasl}
    if broker.broker_tls:
        options["ssl_context"] = ssl.create_default_context()  # the system trust store
    return options


def kafka_python_options(broker: Broker) -> dict[str, Any]:
    """Keyword arguments for kafka-python's KafkaProducer and KafkaConsumer."""
    if isinstance(broker, str):
        return {"bootstrap_servers": broker.split(",")}
    protocol, sasl = _security(broker)
    options: dict[str, Any] = {"bootstrap_servers": broker.bootstrap.split(","), "security_protocol": protocol, **sasl}
    if broker.broker_tls:
        options["ssl_context"] = ssl.create_default_context()
    return options


def faust_credentials(settings: Settings):
    """Faust's broker_credentials: SASL (over TLS if set), TLS alone, or None."""
    from faust.auth import SASLCredentials, SSLCredentials

    context = ssl.create_default_context() if settings.broker_tls else None
    if settings.sasl_username:
        password = settings.sasl_password.get_secret_value() if settings.sasl_password else ""
        return SASLCredentials(username=settings.sasl_username, password=password, mechanism=settings.sasl_mechanism, ssl_context=context)
    return SSLCredentials(context) if context is not None else None
