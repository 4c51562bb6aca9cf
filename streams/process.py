"""Running a worker as a child process (the demo and the tests): settings in, `tally worker` out."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any

from pydantic import SecretStr

from streams.settings import Settings


def settings_env(settings: Settings) -> dict[str, str]:
    """TALLY_* variables that reproduce `settings` in another process."""
    env: dict[str, str] = {}
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, dict):
            value = json.dumps({k: v.get_secret_value() if isinstance(v, SecretStr) else v for k, v in value.items()})
        env[f"TALLY_{name.upper()}"] = str(value)
    return env


class WorkerProcess:
    """`python -m cli.main worker` with the given settings; `ready()` once its query API answers /health with 200."""

    def __init__(self, settings: Settings, log_path: str | None = None):
        self.settings = settings
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.launched_at = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.web_port}"

    def start(self) -> "WorkerProcess":
        env = {k: v for k, v in os.environ.items() if not k.startswith("TALLY_")}
        env.update(settings_env(self.settings))
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.launched_at = time.monotonic()
        self.process = subprocess.Popen([sys.executable, "-m", "cli.main", "worker"], env=env, stdout=log, stderr=log)
        return self

    def get(self, path: str, timeout: float = 5.0) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as response:
                body = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            body, status = error.read(), error.code
        text = body.decode()
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    def ready(self, timeout: float = 60.0) -> float:
        """Wait until /health says ok; returns seconds since launch."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"worker exited ({self.process and self.process.returncode}); log: {self.log_path}")
            try:
                if self.get("/health", timeout=1.0)[0] == 200:
                    return time.monotonic() - self.launched_at
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.1)
        raise TimeoutError(f"worker not ready within {timeout}s; log: {self.log_path}")

    def counts(self) -> dict[str, Any]:
        return self.get("/health")[1]["counts"]

    def stop(self, timeout: float = 20.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
