"""The worker process: the Faust app with its agents, its metrics and health endpoints.

`wirewatch worker` starts it. The CLI lives in streams/, which imports no Faust, so it finds this
function through the `wirewatch.processes` entry point declared in pyproject.toml.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from agents import health as worker_health
from agents.app import create_app, heartbeat_interval
from agents.wiring import Wiring
from streams.freeze import FreezeWatch, exit_frozen, freeze_limit_seconds, guard_kafka_requests
from streams.health import WorkerHealth
from streams.kafka.admin import ensure_topics
from streams.kafka.connect import check_broker
from streams.kafka.security import describe_security
from streams.metrics import HealthMetrics, WorkerMetrics, expected_alert_series, serve_metrics
from streams.pipeline import StageConfig, build_stages
from streams.runner import (
    collect_less_often,
    configure_logging,
    freeze_startup_objects,
    limit_blas_threads,
    limit_malloc_arenas,
    process_registry,
    require_broker,
)
from streams.settings import Settings

log = logging.getLogger(__name__)


def run_worker(settings: Settings) -> None:
    """Run the Faust worker (enrich, story, alert and spike agents) until SIGINT/SIGTERM."""
    # First, before the metrics server, Faust, aiokafka and RocksDB start their threads.
    limit_malloc_arenas()
    limit_blas_threads()
    require_broker(settings, "worker")
    # Until Faust sets up its own logging (agents.health.Worker keeps the format), the start-up
    # lines go to stderr in the format the settings ask for.
    configure_logging(settings, "worker")
    registry = process_registry()
    metrics = WorkerMetrics.create(registry)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # /livez pings this loop from the server thread; /readyz reads what agents.health samples.
    health = WorkerHealth(HealthMetrics.create(registry), loop=loop)
    # /healthz is the older name of /livez, kept for probes configured with it.
    checks = {"/livez": health.live, "/healthz": health.live, "/readyz": health.ready}
    port = serve_metrics(registry, settings.metrics_host, settings.worker_metrics_port, checks)
    log.info("worker metrics on http://%s:%d/metrics", settings.metrics_host, port)
    Path(settings.data_dir, "faust").mkdir(parents=True, exist_ok=True)
    # One clear line (BrokerError) for an unreachable broker or a refused login, before Faust
    # starts retrying forever in its own logs.
    loop.run_until_complete(check_broker(settings))
    log.info("worker connecting to %s (%s)", settings.broker, describe_security(settings))
    loop.run_until_complete(ensure_topics(settings))
    stages = build_stages(settings)
    expect_series(metrics, stages)
    wiring = Wiring(settings, metrics, stages, health=health)
    app = create_app(settings, wiring)
    watch_for_freezes(settings)
    worker_health.install_faust_sensor(app, registry)
    worker_health.register(app, wiring)
    # Faust's Worker, with the log filters and format added once it has configured logging.
    worker = worker_health.Worker(app, settings, loglevel=settings.log_level, loop=loop)
    # Last, with the models, taxonomy and app built: what lives for the whole run.
    log.info("%d start-up objects left out of garbage collection", freeze_startup_objects())
    collect_less_often()
    worker.execute_from_commandline()


def watch_for_freezes(settings: Settings) -> FreezeWatch:
    """Exit before sending anything once the process has stood still longer than its consumer
    group allows (streams/freeze.py): its partitions may belong to another worker by then."""
    session = settings.session_timeout_seconds
    limit = freeze_limit_seconds(session, heartbeat_interval(session))
    watch = FreezeWatch(limit, lambda gap: exit_frozen(gap, limit))
    guard_kafka_requests(watch)
    watch.start()
    log.info("worker exits if it stands still longer than %.1f s (freeze watch)", limit)
    return watch


def expect_series(metrics: WorkerMetrics, stages: StageConfig) -> None:
    """Create at zero the topic and alert series this worker's taxonomy and rules can produce."""
    topic_ids = [topic.id for topic in stages.enricher.taxonomy.topics]
    for topic in topic_ids:
        metrics.topics_tagged.labels(topic)
    rules = [(rule.severity, [topic for topic, _ in rule.topics]) for rule in stages.rules.rules]
    series, update_severities = expected_alert_series(rules, topic_ids, stages.spikes.severity)
    metrics.expect_alerts(series, update_severities)
