"""`wirewatch run` as a newcomer runs it: embedded broker, bundled feeds, alerts printed, Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, free_port

pytestmark = pytest.mark.integration

FIRST_ALERT_TIMEOUT_SECONDS = 150
STOP_TIMEOUT_SECONDS = 60


def port_is_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_run_prints_alerts_serves_metrics_and_stops_everything_on_ctrl_c(tmp_path: Path) -> None:
    broker_port, worker_metrics = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    env.update(
        WIREWATCH_DATA_DIR=str(tmp_path / "var"),
        WIREWATCH_LOCAL_BROKER_PORT=str(broker_port),
        WIREWATCH_LOCAL_CONTROLLER_PORT=str(free_port()),
        WIREWATCH_SAMPLE_FEEDS_PORT=str(free_port()),
        WIREWATCH_WORKER_METRICS_PORT=str(worker_metrics),
        WIREWATCH_POLLER_METRICS_PORT=str(free_port()),
        WIREWATCH_RUN_METRICS_PORT=str(free_port()),
    )
    log_path = tmp_path / "run.log"
    with log_path.open("w") as log:
        run = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "run"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + FIRST_ALERT_TIMEOUT_SECONDS
            alert_lines: list[str] = []
            while time.monotonic() < deadline and len(alert_lines) < 3:
                assert run.poll() is None, log_path.read_text()
                alert_lines = [
                    line
                    for line in log_path.read_text().splitlines()
                    if any(f" {s} " in line for s in ("CRITICAL", "WARNING", "INFO"))
                ]
                time.sleep(1)
            assert len(alert_lines) >= 3, log_path.read_text()[-5000:]
            with urllib.request.urlopen(
                f"http://127.0.0.1:{worker_metrics}/metrics", timeout=5
            ) as response:
                metrics = response.read().decode()
            assert "wirewatch_alerts_raised_total" in metrics
            assert 'wirewatch_items_processed_total{outcome="ok",stage="enrich"}' in metrics
        finally:
            run.send_signal(signal.SIGINT)
            try:
                returncode = run.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                run.kill()
                raise
    assert returncode == 0, log_path.read_text()[-3000:]
    assert not port_is_open(broker_port), "the embedded broker kept running after Ctrl-C"
    assert not port_is_open(worker_metrics), "the worker kept running after Ctrl-C"
