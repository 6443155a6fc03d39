"""Settings for every wirewatch process: defaults, then a TOML file, then WIREWATCH_* variables.

This is the only module that reads the environment. Settings are checked once at load time; an
unknown key or a value of the wrong form is a `SettingsError` that names the setting and the form
it accepts.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streams.errors import SettingsError
from streams.records import Severity

try:
    VERSION = importlib.metadata.version("wirewatch")
except importlib.metadata.PackageNotFoundError:  # running from a checkout without installing
    VERSION = "0+unknown"
ENV_PREFIX = "WIREWATCH_"
CONFIG_ENV = "WIREWATCH_CONFIG"
SEVERITIES = tuple(severity.value for severity in Severity)

# Severity per watched topic: what an analyst should look at first.
DEFAULT_WATCH: dict[str, str] = {
    "cyberattack": "critical",
    "terrorism": "critical",
    "elections": "warning",
    "armed_conflict": "warning",
    "natural_disaster": "warning",
    "disease_outbreak": "warning",
    "protest": "info",
    "economy_markets": "info",
}


@dataclass(frozen=True, slots=True)
class FeedConfig:
    url: str
    name: str | None = None
    language: str | None = None  # the feed's language, a prior for detection only
    interval_seconds: float | None = None  # this feed's own poll interval, within the bounds


@dataclass(frozen=True, slots=True)
class Settings:
    # Kafka bootstrap address "host:port[,host:port]"; empty means "start the embedded local
    # broker" for `wirewatch run` and is an error for the worker and poller run on their own.
    broker: str = ""
    topic_prefix: str = "wirewatch."
    partitions: int = 3
    replication_factor: int = 1
    app_id: str = "wirewatch"
    # This worker's stable name in its consumer group (Kafka static membership, KIP-345): a worker
    # restarted under the same name takes its partitions back at once instead of waiting for the
    # dead member's session to expire. Unique per worker (a StatefulSet pod name, a host name);
    # empty: a dynamic member, which waits out the session on every restart.
    worker_id: str = ""
    # How long the group waits for a silent worker before moving its partitions (kill -9, a
    # lost host). Faust's default 60 s stalled every restart by a minute; the broker accepts
    # 6-300 s (group.min/max.session.timeout.ms).
    session_timeout_seconds: float = 30.0
    # How every wirewatch client (worker, poller, CLI, admin) talks to Kafka: PLAINTEXT, SSL,
    # SASL_PLAINTEXT or SASL_SSL. Managed clusters (Confluent Cloud, MSK, Aiven) want SASL_SSL.
    security_protocol: str = "PLAINTEXT"
    # TLS: the CA bundle that signed the brokers' certificates (empty: the system's CAs), and a
    # client certificate and key when the brokers ask for one (mutual TLS). PEM files.
    ssl_ca_file: str = ""
    ssl_cert_file: str = ""
    ssl_key_file: str = ""
    # Secret: or `ssl_key_password_file` / WIREWATCH_SSL_KEY_PASSWORD_FILE. repr=False keeps it out
    # of any log line or traceback that prints the settings.
    ssl_key_password: str = field(default="", repr=False)
    # Off only for a broker reached by an address its certificate does not name: it lets any
    # holder of a certificate from the CA pose as the broker.
    ssl_check_hostname: bool = True
    # SASL: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (username + password) or OAUTHBEARER (a token
    # file, re-read on every login so a sidecar can refresh it).
    sasl_mechanism: str = ""
    sasl_username: str = ""
    sasl_password: str = field(default="", repr=False)  # secret: or sasl_password_file, *_FILE env
    sasl_oauth_token_file: str = ""
    # How long a command waits for the broker before it says it cannot reach it.
    connect_timeout_seconds: float = 10.0
    data_dir: str = "var"
    # Where the worker's Faust tables keep their values: "memory" (the process's memory, rebuilt
    # from the changelogs on every start) or "rocksdb" (one RocksDB database per table partition
    # under data_dir: memory bounded by the story index, not by the tables; docs/operations.md).
    table_store: str = "memory"
    log_level: str = "info"
    # "text" for people, "json" (one object per line) for log pipelines such as Loki or ELK.
    log_format: str = "text"
    # Feeds: empty means the bundled sample feeds, served over local HTTP by `wirewatch run`.
    feeds: tuple[FeedConfig, ...] = ()
    poll_interval_seconds: float = 300.0  # a new feed's first interval; it then adapts
    min_poll_interval_seconds: float = 60.0
    max_poll_interval_seconds: float = 86400.0
    backoff_base_seconds: float = 60.0
    backoff_max_seconds: float = 21600.0
    max_concurrent_fetches: int = 64
    max_fetches_per_host: int = 4
    # Networks feeds may resolve to although private/loopback/link-local ("127.0.0.1/32" for
    # local development and tests); everything else in those ranges is refused (SSRF guard).
    allowed_networks: tuple[str, ...] = ()
    seen_retention_seconds: float = 7 * 86400.0
    # Processes that parse feed documents beside the poller's event loop; 0 parses in a thread.
    parse_workers: int = 1
    http_timeout_seconds: float = 20.0
    max_feed_bytes: int = 15 * 1024 * 1024
    # New or changed entries one poll of a feed sends; the rest wait for the next poll, due soon
    # (min_poll_interval_seconds) while some are held back. Only the first 5,000 entries of a
    # document are considered at all (streams.feeds.polling.MAX_LISTED_ENTRIES).
    max_entries_per_poll: int = 500
    # Publishers see this in their logs: who polls them and where to complain. Set it to a page
    # of your own deployment; the User-Agent is "wirewatch/<version> (+<contact_url>)".
    contact_url: str = "https://github.com/wirewatch/wirewatch"
    allow_file_urls: bool = False
    min_language_confidence: float = 0.5
    taxonomy_path: str = ""  # empty: the bundled taxonomy
    # Alert rules file (TOML or YAML); empty: the bundled rules. `watch` (topic = severity) is
    # the older, simpler form, still read (see streams.alerts.rule_file.load_configured_rules).
    alert_rules_path: str = ""
    alert_max_items: int = 200  # items listed per alert (links for the analyst); item_count exact
    watch: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_WATCH))
    # Story clustering: items this similar (estimated Jaccard of their word shingles) within the
    # horizon share a story id, and so one alert per rule.
    story_horizon_seconds: float = 2 * 86400.0
    story_similarity: float = 0.5
    # Breaking news: a spike alert when a window's items for a topic (and topic + language) reach
    # spike_min_count and spike_factor times the mean of the previous spike_baseline_windows.
    spike_window_seconds: int = 600
    spike_baseline_windows: int = 12
    spike_factor: float = 3.0
    spike_min_count: int = 5
    spike_per_language: bool = True
    spike_severity: str = "warning"
    # Cross-language story links (agents/link.py): new stories embedded per second at most (0
    # turns the stage off), how late a new story may reach the stage and still be linked, and
    # how many recent stories it keeps to compare with. Over the rate or the age it skips the
    # story and counts it (wirewatch_story_links_skipped_total): it never holds up the stream.
    link_max_per_second: float = 5.0
    link_max_age_seconds: float = 60.0
    link_pool_max: int = 20000
    # The enrich agent takes raw items in batches of at most this many, or what arrived within
    # this many seconds: the batch's topic events go out as one message per spike key, and its
    # input offsets are committed once every message of the batch is sent.
    # Story group ("Latin|en") -> story-route partition, for groups that hashing their key would
    # place unevenly; `wirewatch story-routes` prints one from the stream's own volumes. Groups
    # not named go where Kafka's default partitioner puts their key. Changing it moves groups:
    # docs/operations.md, "Spreading the story stage".
    story_route_plan: Mapping[str, int] = field(default_factory=dict)
    enrich_batch_max_items: int = 500
    enrich_batch_max_seconds: float = 0.05
    # The longest the broker holds a worker's fetch when none of its partitions has data. Faust
    # asks for 1500 ms, and aiokafka leaves a partition it has buffered records for out of the
    # next fetch and cannot fetch it again until that fetch returns: partitions the worker had
    # just read sat up to 1.5 s behind idle ones, and at a steady rate the chain fell behind
    # (bench/README, "Twelfth cut"). Idle, each worker sends one fetch per this many ms; with
    # fetch_min_bytes it is also what a slow stream waits a hop (bench/README, "Thirteenth cut").
    fetch_max_wait_ms: int = 25
    # The least data the broker gathers for a worker's fetch before answering it (or until
    # fetch_max_wait_ms). aiokafka's 1 byte answers as soon as any record arrives: at a steady
    # 120 items/s a worker sent ~125 fetches a second, each naming every partition it reads, and
    # building, sending and parsing them cost about a fifth of its CPU (bench/README, "Thirteenth
    # cut"). A burst fills this at once; a slow stream waits up to fetch_max_wait_ms a hop.
    fetch_min_bytes: int = 65536
    # How long the producer waits to put more messages in one request. Each request is a socket
    # write and a broker round trip; a few ms more gathers more messages of every stage,
    # changelogs included, into one, at up to this much latency a hop. 5 ms was measured ~3x
    # faster than 0; 20 ms cost more CPU and latency than 5 at 120 items/s (bench/README,
    # "Thirteenth cut").
    producer_linger_ms: int = 5
    metrics_host: str = "127.0.0.1"
    worker_metrics_port: int = 9464
    poller_metrics_port: int = 9465
    run_metrics_port: int = 9466
    local_broker_port: int = 19092
    local_controller_port: int = 19093
    sample_feeds_port: int = 8765

    @property
    def user_agent(self) -> str:
        return f"wirewatch/{VERSION} (+{self.contact_url})"

    def topic(self, suffix: str) -> str:
        """Full topic name for a suffix such as "articles"."""
        return f"{self.topic_prefix}{suffix}"


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}


def _coerce(name: str, value: Any) -> Any:
    """Convert one raw value (TOML or env string) to the setting's type, or say what is wanted."""
    default = _FIELDS[name].default
    if name == "feeds":
        return _coerce_feeds(value)
    if name == "watch":
        return _coerce_watch(value)
    if name == "story_route_plan":
        return _coerce_story_route_plan(value)
    if name == "allowed_networks":
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
            raise SettingsError("setting 'allowed_networks': a list of CIDR networks")
        return tuple(i.strip() for i in items if i.strip())
    kind: type = type(default)
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
        if kind is int:
            if isinstance(value, bool):
                raise ValueError(value)
            return int(value)
        if kind is float:
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        if not isinstance(value, str):
            raise ValueError(value)
        return value
    except ValueError:
        raise SettingsError(
            f"setting {name!r}: {value!r} is not a valid {kind.__name__} (default {default!r})"
        ) from None


def _coerce_feeds(value: Any) -> tuple[FeedConfig, ...]:
    if isinstance(value, str):  # env form: comma-separated URLs
        return tuple(FeedConfig(url=u.strip()) for u in value.split(",") if u.strip())
    if not isinstance(value, list):
        raise SettingsError("setting 'feeds': expected a list of {url, name?, language?} tables")
    feeds = []
    for index, entry in enumerate(value):
        if isinstance(entry, str):
            entry = {"url": entry}
        if not isinstance(entry, dict) or "url" not in entry:
            raise SettingsError(f"setting 'feeds[{index}]': expected a table with a 'url'")
        unknown = set(entry) - {"url", "name", "language", "interval_seconds"}
        if unknown:
            raise SettingsError(
                f"setting 'feeds[{index}]': unknown key(s) {sorted(unknown)}; "
                "accepted: url, name, language, interval_seconds"
            )
        interval = entry.get("interval_seconds")
        if interval is not None and (not isinstance(interval, int | float) or interval <= 0):
            raise SettingsError(f"setting 'feeds[{index}].interval_seconds': a positive number")
        feeds.append(
            FeedConfig(
                entry["url"],
                entry.get("name"),
                entry.get("language"),
                float(interval) if interval is not None else None,
            )
        )
    return tuple(feeds)


def _coerce_watch(value: Any) -> dict[str, str]:
    if isinstance(value, str):  # env form: "cyberattack=critical,elections=warning"
        pairs = [p.split("=", 1) for p in value.split(",") if p.strip()]
        if any(len(p) != 2 for p in pairs):
            raise SettingsError("setting 'watch': expected topic=severity pairs, comma-separated")
        value = {k.strip(): v.strip() for k, v in pairs}
    if not isinstance(value, dict):
        raise SettingsError("setting 'watch': expected a table of topic = severity")
    for topic, severity in value.items():
        if severity not in SEVERITIES:
            raise SettingsError(
                f"setting 'watch.{topic}': severity {severity!r} must be one of {SEVERITIES}"
            )
    return dict(value)


def story_route_plan_env(plan: Mapping[str, int]) -> str:
    """A `story_route_plan` in its environment form, which `_coerce_story_route_plan` reads."""
    return ",".join(f"{group}={partition}" for group, partition in plan.items())


def _coerce_story_route_plan(value: Any) -> dict[str, int]:
    if isinstance(value, str):  # env form: "Latin|en=0,Latin|es=1"
        pairs = [p.rsplit("=", 1) for p in value.split(",") if p.strip()]
        if any(len(p) != 2 for p in pairs):
            raise SettingsError(
                "setting 'story_route_plan': expected group=partition pairs, comma-separated "
                "(Latin|en=0,Latin|es=1)"
            )
        value = {k.strip(): v.strip() for k, v in pairs}
    if not isinstance(value, dict):
        raise SettingsError("setting 'story_route_plan': expected a table of group = partition")
    plan: dict[str, int] = {}
    for group, partition in value.items():
        try:
            if isinstance(partition, bool):
                raise ValueError(partition)
            plan[group] = int(partition)
        except ValueError:
            raise SettingsError(
                f"setting 'story_route_plan.{group}': {partition!r} is not a partition number"
            ) from None
    return plan


# Settings that may also come from a file named by `<name>_file` (TOML) or WIREWATCH_<NAME>_FILE:
# Kubernetes and Compose mount secrets as files, and a file keeps them out of `ps` and the
# environment of child processes.
FILE_BACKED = ("sasl_username", "sasl_password", "ssl_key_password")
UPPER_CASE_VALUES = ("security_protocol", "sasl_mechanism")


def _file_backed(name: str) -> bool:
    return name.endswith("_file") and name.removesuffix("_file") in FILE_BACKED


def _read_secret_file(key: str, path: Any) -> str:
    if not isinstance(path, str) or not path:
        raise SettingsError(f"setting {key!r}: the path of a file holding the value")
    try:
        # A trailing newline is how editors and `echo` write the file, never part of a secret.
        return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise SettingsError(f"setting {key!r}: cannot read {path} ({exc.strerror})") from None


def load_settings(
    config_path: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Defaults → TOML file (`config_path`, else $WIREWATCH_CONFIG) → WIREWATCH_* env → overrides.

    Raises SettingsError for an unreadable file, an unknown key or a malformed value.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = config_path or env.get(CONFIG_ENV)
    if path:
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise SettingsError(f"config file {path}: cannot read it ({exc.strerror})") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"config file {path}: not valid TOML ({exc})") from None
        for key, value in raw.items():
            if _file_backed(key):
                values[key.removesuffix("_file")] = _read_secret_file(key, value)
                continue
            if key not in _FIELDS:
                raise SettingsError(f"{path}: unknown setting {key!r}; see `wirewatch config`")
            values[key] = _coerce(key, value)
    for key, value in env.items():
        if not key.startswith(ENV_PREFIX) or key == CONFIG_ENV:
            continue
        name = key[len(ENV_PREFIX) :].lower()
        if _file_backed(name):
            values[name.removesuffix("_file")] = _read_secret_file(key, value)
            continue
        if name not in _FIELDS:
            raise SettingsError(f"environment: unknown variable {key}; see `wirewatch config`")
        values[name] = _coerce(name, value)
    for name in UPPER_CASE_VALUES:
        if isinstance(values.get(name), str):
            values[name] = values[name].strip().upper()
    for key, value in (overrides or {}).items():
        values[key] = _coerce(key, value) if isinstance(value, str) else value
    settings = Settings(**values)
    _check(settings)
    return settings


def _check(settings: Settings) -> None:
    if settings.partitions < 1:
        raise SettingsError("setting 'partitions': must be 1 or more")
    for group, partition in settings.story_route_plan.items():
        if not 0 <= partition < settings.partitions:
            raise SettingsError(
                f"setting 'story_route_plan.{group}': partition {partition} does not exist "
                f"(partitions = {settings.partitions}: 0 to {settings.partitions - 1}); "
                "print a plan for this partition count with `wirewatch story-routes`"
            )
    if not 0.0 <= settings.min_language_confidence <= 1.0:
        raise SettingsError("setting 'min_language_confidence': must be between 0 and 1")
    if not 0 < settings.min_poll_interval_seconds <= settings.max_poll_interval_seconds:
        raise SettingsError(
            "settings 'min_poll_interval_seconds' and 'max_poll_interval_seconds': "
            "need 0 < min <= max, e.g. 60 and 86400"
        )
    if settings.poll_interval_seconds <= 0:
        raise SettingsError("setting 'poll_interval_seconds': must be positive, e.g. 300")
    if settings.max_entries_per_poll < 1:
        raise SettingsError("setting 'max_entries_per_poll': must be 1 or more, e.g. 500")
    problems = _range_problems(settings)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise SettingsError(problems[0] + more)
    if not 6 <= settings.session_timeout_seconds <= 300:
        raise SettingsError(
            "setting 'session_timeout_seconds': must be between 6 and 300 (the broker's "
            "group.min.session.timeout.ms and group.max.session.timeout.ms), e.g. 10"
        )


LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
LOG_FORMATS = ("text", "json")
TABLE_STORES = ("memory", "rocksdb")
MAX_PORT = 65535


def _range_problems(settings: Settings) -> list[str]:
    """Values a process would only refuse later (after connecting, in a stage's own terms)."""
    positive = ("story_horizon_seconds", "spike_factor", "http_timeout_seconds",
                "backoff_base_seconds", "seen_retention_seconds",
                "link_max_age_seconds", "enrich_batch_max_seconds")  # fmt: skip
    at_least_one = ("replication_factor", "spike_window_seconds", "spike_baseline_windows",
                    "spike_min_count", "alert_max_items", "max_concurrent_fetches",
                    "max_fetches_per_host", "max_feed_bytes", "link_pool_max",
                    "enrich_batch_max_items", "fetch_max_wait_ms",
                    "fetch_min_bytes")  # fmt: skip
    problems = [
        f"setting '{name}': got {getattr(settings, name)!r}; accepted: a positive number"
        for name in positive
        if not getattr(settings, name) > 0
    ]
    problems += [
        f"setting '{name}': got {getattr(settings, name)!r}; accepted: a whole number, 1 or more"
        for name in at_least_one
        if not getattr(settings, name) >= 1
    ]
    if not settings.producer_linger_ms >= 0:
        problems.append(
            f"setting 'producer_linger_ms': got {settings.producer_linger_ms!r}; accepted: 0 "
            "(send at once) or a whole number of milliseconds, e.g. 10"
        )
    if not settings.link_max_per_second >= 0:
        problems.append(
            f"setting 'link_max_per_second': got {settings.link_max_per_second!r}; accepted: 0 "
            "(no cross-language links) or a positive number of stories per second, e.g. 5"
        )
    if not 0.0 < settings.story_similarity <= 1.0:
        problems.append(
            f"setting 'story_similarity': got {settings.story_similarity!r}; accepted: more "
            "than 0 and at most 1 (the estimated Jaccard similarity that joins a story), e.g. 0.5"
        )
    if settings.spike_severity not in SEVERITIES:
        problems.append(
            f"setting 'spike_severity': got {settings.spike_severity!r}; accepted: one of "
            f"{', '.join(SEVERITIES)}"
        )
    if settings.log_level.lower() not in LOG_LEVELS:
        problems.append(
            f"setting 'log_level': got {settings.log_level!r}; accepted: one of "
            f"{', '.join(LOG_LEVELS)}"
        )
    if settings.log_format not in LOG_FORMATS:
        problems.append(
            f"setting 'log_format': got {settings.log_format!r}; accepted: one of "
            f"{', '.join(LOG_FORMATS)}"
        )
    if settings.table_store not in TABLE_STORES:
        problems.append(
            f"setting 'table_store': got {settings.table_store!r}; accepted: one of "
            f"{', '.join(TABLE_STORES)}"
        )
    if not settings.connect_timeout_seconds > 0:
        problems.append(
            f"setting 'connect_timeout_seconds': got {settings.connect_timeout_seconds!r}; "
            "accepted: a positive number, e.g. 10"
        )
    problems += _security_problems(settings)
    if settings.backoff_base_seconds > settings.backoff_max_seconds:
        problems.append(
            "settings 'backoff_base_seconds' and 'backoff_max_seconds': need base <= max, "
            "e.g. 60 and 21600"
        )
    ports = ("worker_metrics_port", "poller_metrics_port", "run_metrics_port",
             "local_broker_port", "local_controller_port", "sample_feeds_port")  # fmt: skip
    problems += [
        f"setting '{name}': got {getattr(settings, name)!r}; accepted: a port, 0 to {MAX_PORT}"
        for name in ports
        if not 0 <= getattr(settings, name) <= MAX_PORT
    ]
    return problems


SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER")


def _security_problems(settings: Settings) -> list[str]:
    """Kafka TLS/SASL settings that cannot work together, said before any connection is tried."""
    protocol = settings.security_protocol
    if protocol not in SECURITY_PROTOCOLS:
        return [
            f"setting 'security_protocol': got {protocol!r}; accepted: one of "
            f"{', '.join(SECURITY_PROTOCOLS)}"
        ]
    problems: list[str] = []
    uses_tls = protocol in ("SSL", "SASL_SSL")
    uses_sasl = protocol.startswith("SASL_")
    tls_files = ("ssl_ca_file", "ssl_cert_file", "ssl_key_file")
    if not uses_tls:
        problems += [
            f"setting '{name}' is set but security_protocol is {protocol}; "
            "use SSL or SASL_SSL for TLS"
            for name in (*tls_files, "ssl_key_password")
            if getattr(settings, name)
        ]
    else:
        for name in tls_files:
            path = getattr(settings, name)
            if path and not Path(path).is_file():
                problems.append(f"setting '{name}': no readable file at {path}")
        if bool(settings.ssl_cert_file) != bool(settings.ssl_key_file):
            problems.append(
                "settings 'ssl_cert_file' and 'ssl_key_file': a client certificate needs its key "
                "(set both, or neither)"
            )
    sasl_values = ("sasl_mechanism", "sasl_username", "sasl_password", "sasl_oauth_token_file")
    if not uses_sasl:
        problems += [
            f"setting '{name}' is set but security_protocol is {protocol}; "
            "use SASL_SSL (or SASL_PLAINTEXT) for SASL"
            for name in sasl_values
            if getattr(settings, name)
        ]
        return problems
    mechanism = settings.sasl_mechanism
    if mechanism not in SASL_MECHANISMS:
        problems.append(
            f"setting 'sasl_mechanism': got {mechanism!r}; accepted with security_protocol "
            f"{protocol}: one of {', '.join(SASL_MECHANISMS)}"
        )
    elif mechanism == "OAUTHBEARER":
        token = settings.sasl_oauth_token_file
        if not token or not Path(token).is_file():
            problems.append(
                "setting 'sasl_oauth_token_file': OAUTHBEARER needs the path of a file holding "
                f"the token (got {token!r})"
            )
    else:
        problems += [
            f"setting '{name}': {mechanism} needs it (or {name}_file)"
            for name in ("sasl_username", "sasl_password")
            if not getattr(settings, name)
        ]
    return problems


def describe_settings(settings: Settings) -> dict[str, Any]:
    """Effective settings as plain data for `wirewatch config`, secrets masked."""
    out: dict[str, Any] = {}
    for name in _FIELDS:
        value = getattr(settings, name)
        if name == "feeds":
            value = [dataclasses.asdict(f) for f in value]
        elif name == "allowed_networks":
            value = list(value)
        elif name in ("watch", "story_route_plan"):
            value = dict(value)
        if any(word in name for word in ("password", "secret", "token")) and value:
            value = "***"
        out[name] = value
    return out
