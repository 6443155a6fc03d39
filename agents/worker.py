"""The worker process: the Faust app with its agents, its metrics and health endpoints.

`wirewatch worker` starts it. The CLI lives in streams/, which imports no Faust, so it finds this
function through the `wirewatch.processes` entry point declared in pyproject.toml.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from agents import health as worker_health
from agents.app import create_app
from agents.wiring import Wiring
from streams.health import WorkerHealth
from streams.kafka.admin import ensure_topics
from streams.kafka.connect import check_broker
from streams.kafka.security import describe_security
from streams.metrics import HealthMetrics, serve_metrics
from streams.pipeline import build_stages
from streams.runner import create_metrics, require_broker
from streams.settings import Settings


def run_worker(settings: Settings) -> None:
    """Run the Faust worker (enrich, story, alert and spike agents) until SIGINT/SIGTERM."""
    require_broker(settings, "worker")
    registry, metrics = create_metrics(settings)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # /healthz pings this loop from the server thread; /readyz reads what agents.health samples.
    health = WorkerHealth(HealthMetrics.create(registry), loop=loop)
    checks = {"/healthz": health.live, "/readyz": health.ready}
    port = serve_metrics(registry, settings.metrics_host, settings.worker_metrics_port, checks)
    print(f"worker metrics on http://{settings.metrics_host}:{port}/metrics", flush=True)
    Path(settings.data_dir, "faust").mkdir(parents=True, exist_ok=True)
    # One clear line (BrokerError) for an unreachable broker or a refused login, before Faust
    # starts retrying forever in its own logs.
    stages = build_stages(settings)  # a bad taxonomy or rule file fails before connecting
    loop.run_until_complete(check_broker(settings))
    print(f"worker connecting to {settings.broker} ({describe_security(settings)})", flush=True)
    loop.run_until_complete(ensure_topics(settings))
    wiring = Wiring(settings, metrics, stages, health=health)
    app = create_app(settings, wiring)
    worker_health.register(app, wiring)
    # Faust's Worker, with the log filters added once it has configured logging.
    worker = worker_health.Worker(app, loglevel=settings.log_level, loop=loop)
    worker.execute_from_commandline()
