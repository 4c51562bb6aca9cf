"""Everything Tally can be told, in one frozen model read from `TALLY_*` environment variables.

Every entry point builds this same model: the worker, the demo, and every CLI command (publish, tail,
replay --from-kafka, export, audit, simulate, report...), so they reach the same cluster with the same
credentials and fold the same rulebooks. Command-line flags only override fields of it.

Complex fields (`TALLY_SOURCE_KEYS`, `TALLY_SOURCE_TYPES`) are JSON, as pydantic-settings
parses them. `docs/streams.md` has the same table for operators (a test keeps them in step).
"""

import os
from collections.abc import Mapping

from fnmatch import fnmatchcase
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.codec import MAX_MESSAGE_BYTES
from schemas.events import DEADLINE_TYPES, METRIC_TYPES

DEFAULT_SOURCE_TYPES: dict[str, list[str]] = {
    "detector*": ["violation_recorded"],
    "classifier*": ["violation_recorded"],
    "trust-safety*": ["violation_recorded"],
    "appeal-desk": ["appeal_filed", "appeal_resolved"],
    "exam-service": ["exam_passed", "exam_failed"],
    "scheduler": sorted(DEADLINE_TYPES),
    "admin": ["creator_enrolled", "rulebook_migrated"],
    "metrics*": sorted(METRIC_TYPES),
}


TOPIC_ALIASES = ("violations", "appeals", "exams", "metrics", "journal", "penalties", "resources", "deadletter")
"""Short names the CLI takes for Tally's topics (`--topic penalties`)."""

STATE_TABLE = "creators"
"""The Faust table of creator states; its changelog topic is `{app_id}-creators-changelog`."""
SCORE_TABLE = "operator-scores"
"""The Faust table of operator score states; its changelog topic is `{app_id}-operator-scores-changelog`."""

RENAMED = {"TALLY_POLICIES": "TALLY_POLICIES_DIR", "TALLY_BOOTSTRAP": "TALLY_BROKER_URL"}
"""Names older versions read, and the names that replaced them."""


class Settings(BaseSettings):
    """Settings of every Tally entry point: worker, demo and CLI alike."""

    model_config = SettingsConfigDict(env_prefix="TALLY_", frozen=True, extra="ignore")

    # Broker -----------------------------------------------------------------
    broker_url: str = "kafka://127.0.0.1:9092"
    """Bootstrap servers, Faust style: `kafka://host1:9092;host2:9092`."""
    app_id: str = "tally"
    """Faust app id: the consumer group and the prefix of the table changelog topic. One per deployment."""
    instance_id: str | None = None
    """Static group membership (KIP-345): a stable name per worker (e.g. its host name). A worker restarted under the
    same name takes its partitions back at once instead of waiting for its dead predecessor's session to expire.
    Each running worker needs its own. None: dynamic membership."""
    sasl_username: str | None = None
    """SASL user. Set it (with the password) to authenticate to the broker; passed to Faust's broker_credentials.
    Configuration only: the embedded tansu broker cannot run SCRAM, so this path is untested here."""
    sasl_password: SecretStr | None = None
    """SASL password."""
    sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"] = "SCRAM-SHA-512"
    """SASL mechanism."""
    broker_tls: bool = False
    """Use TLS to the broker (SASL_SSL rather than SASL_PLAINTEXT) with the system trust store."""
    session_timeout: float = 6.0
    """Consumer group session timeout, seconds. Short: a killed worker's partitions move quickly, and tansu
    completes a first group join only after about half of it."""
    heartbeat_interval: float = 1.0
    """Consumer heartbeat, seconds."""
    fetch_max_wait_ms: int = 10
    """How long a fetch may wait for data. aiokafka in Faust hard-codes 1500 ms; tansu holds every fetch that long."""
    warm_states: int = 100_000
    """How many creators' states the fold agent keeps ready in memory (parsed, tail folded); others are parsed
    from the table when their next event comes."""
    fold_batch_max: int = 500
    """The fold agent awaits the acknowledgements of up to this many events' commands together (before recording
    any of their states). A batch also ends whenever no more journal records are waiting, so a lone event is not
    delayed."""
    producer_max_batch_size: int = 65_536
    """Producer batch size in bytes, per partition and request: commands, journal records, changelog records and
    dead letters are sent in batches of up to this size. 1 sends one record per request and partition (slow)."""

    intake_max_idle: float = 2.0
    """The bound of the event-time alignment of the input topics (docs/streams.md): intake holds records back while an
    input partition with nothing buffered still has records to read (they may be older), until it has taken nothing
    at all for this many seconds."""

    stall_seconds: float = 60.0
    """A partition of the inputs or the journal with records waiting and no progress for this long is named as stalled
    on /health, and /live answers 503 so that the worker's supervisor restarts it (offsets are committed only for
    what was done: a restart resumes where it stopped)."""
    stall_exit_seconds: float = 600.0
    """The last resort when nothing restarts a stalled worker: once a partition has been stalled this long, the worker
    exits with status 70 so that whatever runs it starts it afresh. 0 never exits."""

    # Topics -----------------------------------------------------------------
    topic_violations: str = "creator.violations"
    """Input: detectors publish violation_recorded here."""
    topic_appeals: str = "creator.appeals"
    """Input: the appeal desk publishes appeal_filed / appeal_resolved."""
    topic_exams: str = "creator.exams"
    """Input: the exam service publishes exam_passed / exam_failed. (Any input topic accepts any type its signer may
    publish; `tally publish` sends admin events with the violations, so a creator's enrolment precedes their violations.)"""
    topic_metrics: str = "creator.metrics"
    """Input: metrics teams publish service_ / product_ / content_metrics_reported for the operator scores."""
    topic_journal: str = "creator.journal"
    """The ordered, validated journal, keyed by creator id: the source of truth."""
    topic_penalties: str = "creator.penalties"
    """Output: penalty commands, keyed by creator id."""
    topic_resources: str = "creator.resources"
    """Output: resource commands of the operator scores (grant / withhold), keyed by operator id."""
    topic_deadletter: str = "creator.deadletter"
    """Output: every refused message with its reason."""
    partitions: int = 4
    """Partitions of every Tally topic (journal, table changelog and inputs alike). Caps the useful worker count."""
    replication: int = 1
    """Replication factor for topics the worker creates. 3 on a real cluster."""

    # State --------------------------------------------------------------------
    store: str = "memory://"
    """Table store: `memory://` (tests, demo: rebuilt from the changelog) or `rocksdb://` (real: RocksDB via rocksdict)."""
    data_dir: str = "./tally-data"
    """Where the RocksDB store and Faust's worker files live."""
    standby_replicas: int = 1
    """Standby copies of each table partition on other workers, for fast fail-over."""

    # Rules --------------------------------------------------------------------
    default_rulebook: str = "douyin-creator-2022"
    """Rulebook for creators with no enrolment event."""
    policies_dir: str | None = None
    """Directory of policy files; none means the packs shipped with Tally."""
    score_policy: str | None = None
    """Score policy of the operator scores (a file, or the id of one shipped in policies/scores); none means
    kuaishou-operator-2023."""

    # Who may publish what -----------------------------------------------------
    source_keys: dict[str, SecretStr] = Field(default_factory=dict)
    """Per-source HMAC keys, JSON: {"detector.livestream": "secret", ...}. A message's `tally-source` header names
    the key; its `tally-signature` header is hex HMAC-SHA256 of the value bytes under that key."""
    source_types: dict[str, list[str]] = Field(default_factory=lambda: {k: list(v) for k, v in DEFAULT_SOURCE_TYPES.items()})
    """Which event types each source may publish, JSON; keys are source names or shell patterns (`detector*`)."""
    max_message_bytes: int = MAX_MESSAGE_BYTES
    """Input messages larger than this are dead-lettered as oversized before anything else is done with them.
    The schema's own limit (16 KiB) still applies when this is larger."""

    # Scheduler ----------------------------------------------------------------
    scheduler_interval: float = 1.0
    """Seconds between scans of the table for due deadlines."""
    clock_file: str | None = None
    """Testing and simulation only: read the scheduler's "now" (an RFC 3339 instant) from this file instead of
    the wall clock. The scheduler is the only part of Tally that reads a clock."""

    # Web ----------------------------------------------------------------------
    web_host: str = "127.0.0.1"
    """Host name other workers use to reach this one's query API (table-routed requests are forwarded there)."""
    web_bind: str = "0.0.0.0"
    """Interface the query API listens on."""
    web_port: int = 6066
    """Port of the query API (/creators/{id}, /health, /metrics). One per worker on a host."""
    log_level: str = "WARNING"
    """Worker log level."""
    broker_log: str = "warn"
    """Log level of the embedded tansu broker (`tally demo`, the tests): RUST_LOG syntax."""
    progress: bool | None = None
    """Progress bars of long reads (replay --from-kafka, export, audit) on stderr: true, false, or unset for
    "on a terminal only"."""

    @classmethod
    def unknown_variables(cls, environ: Mapping[str, str] | None = None) -> list[str]:
        """`TALLY_*` variables no field reads: typos, and names of older versions (with their new name)."""
        environ = os.environ if environ is None else environ
        known = {f"TALLY_{name.upper()}" for name in cls.model_fields}
        found = []
        for name in sorted(environ):
            if name.startswith("TALLY_") and name not in known:
                found.append(f"{name} (now {RENAMED[name]})" if name in RENAMED else name)
        return found

    def shown(self) -> dict[str, object]:
        """The effective settings as plain data, secrets masked: for `tally config` and worker logs."""
        values = self.model_dump(mode="json")
        for name, value in values.items():
            if isinstance(getattr(self, name), SecretStr):
                values[name] = "********"
            elif name == "source_keys":
                values[name] = {source: "********" for source in value}
        return values

    def topic_named(self, name: str) -> str:
        """A short name (penalties, journal...) as configured, or a topic name as given."""
        return getattr(self, f"topic_{name}") if name in TOPIC_ALIASES else name

    @property
    def changelog_topic(self) -> str:
        return f"{self.app_id}-{STATE_TABLE}-changelog"

    @property
    def score_changelog_topic(self) -> str:
        return f"{self.app_id}-{SCORE_TABLE}-changelog"

    @property
    def input_topics(self) -> tuple[str, ...]:
        return (self.topic_violations, self.topic_appeals, self.topic_exams, self.topic_metrics)

    @property
    def bootstrap(self) -> str:
        """host:port[,host:port] for plain Kafka clients."""
        servers = self.broker_url.split("://", 1)[-1]
        return ",".join(s.strip() for s in servers.replace(";", ",").split(",") if s.strip())

    def key_for(self, source: str) -> bytes | None:
        secret = self.source_keys.get(source)
        return None if secret is None else secret.get_secret_value().encode()

    def may_publish(self, source: str, event_type: str) -> bool:
        """Exact names first, then patterns."""
        if source in self.source_types:
            return event_type in self.source_types[source]
        return any(fnmatchcase(source, pattern) and event_type in types for pattern, types in self.source_types.items())

    def topic_for(self, event_type: str) -> str:
        """Where a publisher sends an event of this type (used by `tally publish` when no topic is given)."""
        if event_type.startswith("appeal_"):
            return self.topic_appeals
        if event_type.startswith("exam_"):
            return self.topic_exams
        if event_type in METRIC_TYPES:
            return self.topic_metrics
        # Violations and admin events (enrolment, migration) share a topic: Kafka orders records only within one
        # partition of one topic, and a creator's enrolment must be journaled before their first violation.
        return self.topic_violations
