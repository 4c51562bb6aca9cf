"""`tally broker`: the embedded broker on its own, reachable by a Kafka client, stopped cleanly by SIGTERM."""

import signal
import subprocess
import sys
from pathlib import Path

from kafka import KafkaAdminClient

from streams.broker import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_tally_broker_serves_kafka_clients_and_stops_on_sigterm():
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "cli.main", "broker", "--port", str(port)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline()  # printed once the broker listens
        assert f"listening on 127.0.0.1:{port}" in first, process.stderr.read() if process.poll() is not None else first
        admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{port}", request_timeout_ms=30_000)
        try:
            assert isinstance(admin.list_topics(), list)
        finally:
            admin.close()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
