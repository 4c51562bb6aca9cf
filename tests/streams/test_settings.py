"""One configuration: every entry point reads the same `Settings`, and every Kafka client gets SASL and
TLS from it. Unit tests: no broker (the embedded tansu cannot run SCRAM)."""

import argparse
import json
import os
import re
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from cli.common import environment_settings, settings
from streams.connection import aiokafka_options, faust_credentials, kafka_python_options
from streams.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SASL = {"broker_url": "kafka://b1.example:9096;b2.example:9096", "sasl_username": "tally", "sasl_password": "s3cret",
        "sasl_mechanism": "SCRAM-SHA-512", "broker_tls": True}


def test_every_client_library_gets_the_same_credentials():
    chosen = Settings(_env_file=None, **SASL)
    for options in (aiokafka_options(chosen), kafka_python_options(chosen)):
        assert options["security_protocol"] == "SASL_SSL"
        assert options["sasl_mechanism"] == "SCRAM-SHA-512"
        assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("tally", "s3cret")
        assert isinstance(options["ssl_context"], ssl.SSLContext)
    assert aiokafka_options(chosen)["bootstrap_servers"] == "b1.example:9096,b2.example:9096"
    assert kafka_python_options(chosen)["bootstrap_servers"] == ["b1.example:9096", "b2.example:9096"]
    faust = faust_credentials(chosen)
    assert (faust.username, faust.password, faust.protocol.value) == ("tally", "s3cret", "SASL_SSL")


def test_the_auditors_clients_are_built_with_the_workers_credentials(monkeypatch):
    """`tally audit verify --from-kafka` reads the journal with the TALLY_* settings the worker reads."""
    import streams.journal_reader as reader

    for name, value in SASL.items():
        monkeypatch.setenv(f"TALLY_{name.upper()}", str(value))
    environment_settings.cache_clear()
    made = {}

    class Consumer:
        def __init__(self, **options):
            made.update(options)
            raise ConnectionError("stop here: the options are what this test is about")

    monkeypatch.setattr(reader, "AIOKafkaConsumer", Consumer)
    try:
        args = argparse.Namespace(broker=None)
        with pytest.raises(ConnectionError):
            reader.TopicReader(settings(args), "creator.journal").__enter__()
    finally:
        environment_settings.cache_clear()
    assert made["security_protocol"] == "SASL_SSL"
    assert (made["sasl_plain_username"], made["sasl_plain_password"]) == ("tally", "s3cret")
    assert made["bootstrap_servers"] == "b1.example:9096,b2.example:9096"


def test_plain_and_tls_only_connections():
    plain = Settings(_env_file=None)
    assert aiokafka_options(plain)["security_protocol"] == "PLAINTEXT" and "sasl_mechanism" not in aiokafka_options(plain)
    assert faust_credentials(plain) is None
    tls = Settings(_env_file=None, broker_tls=True)
    assert kafka_python_options(tls)["security_protocol"] == "SSL"
    assert faust_credentials(tls).protocol.value == "SSL"
    assert aiokafka_options("127.0.0.1:9092") == {"bootstrap_servers": "127.0.0.1:9092"}  # the embedded broker


def test_a_broker_flag_overrides_only_the_broker():
    chosen = settings(argparse.Namespace(broker="10.0.0.1:9092"))
    assert chosen.bootstrap == "10.0.0.1:9092"
    assert chosen.topic_journal == environment_settings().topic_journal


def test_one_set_of_names_read_through_settings():
    """No module reads a TALLY_* variable itself: each name in cli/ and streams/ is a Settings field."""
    fields = {f"TALLY_{name.upper()}" for name in Settings.model_fields}
    for path in [*ROOT.glob("cli/*.py"), *ROOT.glob("streams/*.py")]:
        text = path.read_text()
        assert "os.environ.get(\"TALLY_" not in text and "getenv(\"TALLY_" not in text, path
        for name in re.findall(r"\bTALLY_[A-Z_]+[A-Z]\b", text):
            assert name in fields or name in {"TALLY_POLICIES", "TALLY_BOOTSTRAP"} and path.name == "settings.py", (path, name)


def test_the_operators_table_lists_every_setting():
    table = (ROOT / "docs/streams.md").read_text()
    listed = set(re.findall(r"^\| `(TALLY_[A-Z_]+)` \|", table, flags=re.M))
    assert listed == {f"TALLY_{name.upper()}" for name in Settings.model_fields}


def test_tally_config_prints_the_effective_settings_with_secrets_masked():
    env = {k: v for k, v in os.environ.items() if not k.startswith("TALLY_")}
    env.update(TALLY_SASL_PASSWORD="s3cret", TALLY_SOURCE_KEYS='{"detector.a": "k1"}', TALLY_PARTITIONS="12", TALLY_POLICIES="/old")
    done = subprocess.run([sys.executable, "-m", "cli.main", "config", "--json"], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    shown = json.loads(done.stdout)
    assert shown["partitions"] == 12 and shown["sasl_password"] == "********" and shown["source_keys"] == {"detector.a": "********"}
    assert "s3cret" not in done.stdout and "k1" not in done.stdout
    assert "TALLY_POLICIES (now TALLY_POLICIES_DIR) is set but not read" in done.stderr


def test_a_bad_setting_is_one_line_and_exit_2():
    env = {k: v for k, v in os.environ.items() if not k.startswith("TALLY_")}
    env["TALLY_PARTITIONS"] = "many"
    done = subprocess.run([sys.executable, "-m", "cli.main", "replay", str(ROOT / "samples/douyin-creator-2022.jsonl")],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["tally: TALLY_PARTITIONS: Input should be a valid integer, unable to parse string as an integer (tally config shows the settings)"]


def test_an_instance_id_gives_the_worker_static_group_membership(tmp_path):
    """TALLY_INSTANCE_ID reaches the consumer as its group.instance.id (bench/restart.py measures what it buys)."""
    from streams.app import build_app

    app = build_app(Settings(_env_file=None, data_dir=str(tmp_path), instance_id="worker-7"))
    assert app.conf.consumer_group_instance_id == "worker-7"
    assert build_app(Settings(_env_file=None, data_dir=str(tmp_path / "b"))).conf.consumer_group_instance_id is None
