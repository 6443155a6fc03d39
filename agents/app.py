"""The Faust app, built from Settings by `create_app`, with every wirewatch agent registered.

Nothing here runs at import: no environment is read and no socket is opened until `create_app` is
called, so tests and the CLI build as many apps as they need with their own settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faust

from agents import alert, enrich, faust_patches, link, spike, story, tablestore
from agents.wiring import Wiring
from streams.kafka.security import FileTokenProvider, ssl_context
from streams.kafka.topics import ALL_TOPICS
from streams.runner import release_free_memory
from streams.settings import Settings

# How often a worker gives the memory glibc holds free back to the system (malloc_trim: well under
# a millisecond a call; bench/README.md, "Sixth cut"). Stories swept past their horizon, replaced
# table values and every batch's articles free memory between blocks still in use, which glibc
# would otherwise keep resident for the life of the worker.
RELEASE_FREE_MEMORY_SECONDS = 300.0


def faust_config(settings: Settings) -> dict[str, Any]:
    """Faust settings derived from ours."""
    brokers = ";".join(f"kafka://{address}" for address in settings.broker.split(","))
    return {
        "broker": brokers,
        # The same TLS context and SASL login the poller and CLI use (streams/kafka/security.py).
        "broker_credentials": broker_credentials(settings),
        # "memory://" or "rocksdb://" (table_store; agents/tablestore.py has its options).
        "store": tablestore.store_url(settings),
        "topic_partitions": settings.partitions,
        "topic_replication_factor": settings.replication_factor,
        # Our own code creates topics with their retention; Faust would use broker defaults.
        "topic_allow_declare": False,
        "consumer_auto_offset_reset": "earliest",
        # Measured: linger 5 ms batches sends about 3x faster than sending each at once
        # (settings.producer_linger_ms).
        "producer_linger": settings.producer_linger_ms / 1000,
        "producer_acks": -1,
        # A dead worker's partitions move after this; the heartbeat must beat well inside it.
        "broker_session_timeout": settings.session_timeout_seconds,
        # Members learn that a rebalance has begun from a heartbeat's answer, so the group waits
        # up to one interval for each: every 3 s at most (Kafka's own default), not a quarter of
        # the session (7.5 s at 30 s), and never more than a third of it.
        "broker_heartbeat_interval": heartbeat_interval(settings.session_timeout_seconds),
        # Static membership: a restarted worker with the same id reclaims its partitions without
        # waiting for its previous session to time out. None leaves it a dynamic member.
        "consumer_group_instance_id": settings.worker_id or None,
        "web_enabled": False,
        "datadir": f"{settings.data_dir}/faust",
        "key_serializer": "raw",
        "value_serializer": "raw",
    }


def heartbeat_interval(session_timeout_seconds: float) -> float:
    """Seconds between a worker's heartbeats: at most 3 and a third of the session timeout."""
    return max(1.0, min(3.0, session_timeout_seconds / 3))


def broker_credentials(settings: Settings) -> faust.types.auth.CredentialsT | None:
    """Faust's form of our security settings: None for PLAINTEXT."""
    context = ssl_context(settings)
    if settings.security_protocol == "SSL":
        return faust.SSLCredentials(context)
    if not settings.security_protocol.startswith("SASL_"):
        return None
    # Faust derives SASL_SSL from a context being given and SASL_PLAINTEXT from its absence.
    if settings.sasl_mechanism == "OAUTHBEARER":
        return faust.OAuthCredentials(
            oauth_cb=FileTokenProvider(settings.sasl_oauth_token_file), ssl_context=context
        )
    return faust.SASLCredentials(
        username=settings.sasl_username,
        password=settings.sasl_password,
        ssl_context=context,
        mechanism=settings.sasl_mechanism,
    )


class WirewatchApp(faust.App):
    """Faust's app, which with the RocksDB table store takes its table directory when it first
    starts and gives it back clean only after a clean stop (agents/tablestore.py)."""

    table_dir: tablestore.TableDir | None = None
    # How long the broker may hold a fetch with no data (agents/faust_patches.py, point 8).
    fetch_max_wait_ms: int | None = None
    # The least data the broker gathers for such a fetch before answering (point 8 too).
    fetch_min_bytes: int | None = None

    async def on_first_start(self) -> None:
        await super().on_first_start()
        if str(self.conf.store).startswith("rocksdb:"):
            self.table_dir = tablestore.open_table_dir(Path(self.conf.tabledir))

    async def _on_agent_error(self, agent: Any, exc: BaseException) -> None:
        # Faust's own commits the acknowledged offsets here, including the event the crashed
        # agent held: that item would be lost. Refuse every commit instead, so the worker stops
        # and the input is processed again (agents/faust_patches.py, point 6).
        await faust_patches.refuse_commits_after_agent_crash(agent, exc)

    async def on_shutdown(self) -> None:
        await super().on_shutdown()
        # Reached only when on_stop (consumer stopped, producer flushed: every changelog write
        # sent and its offset recorded) did not raise; a crash keeps the mark.
        if self.table_dir is not None and self.crash_reason is None:
            self.table_dir.close()
            self.table_dir = None


def create_app(settings: Settings, wiring: Wiring) -> WirewatchApp:
    """A Faust app with every wirewatch agent registered."""
    # Before the app exists: its consumer, recovery and producer buffer use the fixed methods.
    faust_patches.install()
    app = WirewatchApp(settings.app_id, **faust_config(settings))
    app.fetch_max_wait_ms = settings.fetch_max_wait_ms
    app.fetch_min_bytes = settings.fetch_min_bytes
    for spec in ALL_TOPICS:
        wiring.topics[spec.suffix] = app.topic(
            spec.name(settings), key_serializer="raw", value_serializer="raw"
        )
    for agent in (enrich, story, alert, spike, link):
        agent.register(app, wiring)
    app.timer(RELEASE_FREE_MEMORY_SECONDS, name="release_free_memory")(_release_free_memory)
    return app


async def _release_free_memory() -> None:
    release_free_memory()
