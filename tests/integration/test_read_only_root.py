"""The worker and the poller as deploy/k8s runs them: the root filesystem read-only, only /tmp
writable, WIREWATCH_METRICS_HOST=0.0.0.0. They must become ready, process items end to end,
stay within the manifests' memory limits and stop on SIGTERM within their grace period.

Each process runs in a mount namespace of its own (`unshare -m`, needs root) in which `/` is
remounted read-only and a fresh tmpfs is mounted on /tmp; the broker and the feed server run
outside it. The data dir is under /tmp here (deploy/k8s mounts an emptyDir at
/var/lib/wirewatch; a mount point cannot be created on a read-only root).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import FeedServer, Process
from http_probe import get, sample_total, wait_until

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SAMPLE_FEEDS = ROOT / "streams" / "data" / "feeds"
READY_TIMEOUT_SECONDS = 180
# Remount / read-only in this namespace only, give it an empty /tmp, prove the root refuses a
# write, then become the wirewatch process (same pid: its RSS and signals are the process's).
READ_ONLY_ROOT = (
    "mount --make-rprivate / && mount -o remount,bind,ro / && "
    "mount -t tmpfs -o size=256m,mode=1777 tmpfs /tmp && "
    'if touch "$PROBE" 2>/dev/null; then echo "root is writable"; exit 97; fi && exec "$@"'
)


def manifest(kind: str, name: str) -> dict[str, Any]:
    for path in K8S.glob("*.yaml"):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document and document["kind"] == kind and document["metadata"]["name"] == name:
                return dict(document)
    raise AssertionError(f"{kind}/{name} not in deploy/k8s")


def memory_limit_bytes(workload: dict[str, Any]) -> int:
    limit = workload["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"]
    number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", limit).groups()  # type: ignore[union-attr]
    return int(number) * (2**20 if unit == "Mi" else 2**30)


def resident_bytes(pid: int) -> int:
    """VmRSS of the process and its children (the poller's parse pool)."""
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        pids += [int(child) for child in (task / "children").read_text().split()]
    total = 0
    for one in pids:
        status = Path(f"/proc/{one}/status").read_text()
        total += int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024  # type: ignore[union-attr]
    return total


@pytest.fixture
def read_only_spawn(tmp_path: Path) -> Iterator[Callable[[list[str], dict[str, str]], Process]]:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare(1) for a private mount namespace")
    children: list[Process] = []

    def start(args: list[str], env: dict[str, str]) -> Process:
        log_path = tmp_path / f"{args[0]}.log"
        command = [sys.executable, "-m", "streams.cli", *args]
        popen = subprocess.Popen(
            ["unshare", "-m", "sh", "-c", READ_ONLY_ROOT, "sh", *command],
            env={**env, "PROBE": str(ROOT / ".read-only-probe")},
            stdout=log_path.open("w"),
            stderr=subprocess.STDOUT,
            text=True,
            cwd=ROOT,
        )
        children.append(Process(popen, log_path))
        return children[-1]

    yield start
    for child in reversed(children):
        child.stop()


def test_worker_and_poller_run_on_a_read_only_root(
    wirewatch_env: dict[str, str],
    feed_server: FeedServer,
    read_only_spawn: Callable[[list[str], dict[str, str]], Process],
) -> None:
    feeds = sorted(path.name for path in SAMPLE_FEEDS.iterdir())
    for name in feeds:
        shutil.copy(SAMPLE_FEEDS / name, feed_server.directory / name)
    env = {
        **wirewatch_env,
        "WIREWATCH_DATA_DIR": "/tmp/wirewatch",
        "WIREWATCH_METRICS_HOST": "0.0.0.0",
        "WIREWATCH_WORKER_ID": "wirewatch-worker-0",
        "WIREWATCH_FEEDS": ",".join(feed_server.url(name) for name in feeds),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    worker_port, poller_port = (
        env["WIREWATCH_WORKER_METRICS_PORT"],
        env["WIREWATCH_POLLER_METRICS_PORT"],
    )
    worker = read_only_spawn(["worker"], env)
    poller = read_only_spawn(["poll"], env)

    def logs() -> str:
        return f"--- worker ---\n{worker.output()}\n--- poller ---\n{poller.output()}"

    def flowing() -> bool:
        assert worker.popen.poll() is None and poller.popen.poll() is None, logs()
        return (
            get(worker_port, "/readyz")[0] == 200
            and get(poller_port, "/readyz")[0] == 200
            and sample_total(worker_port, "wirewatch_items_processed_total") > 0
        )

    wait_until(flowing, READY_TIMEOUT_SECONDS, "both ready and items processed", logs)
    assert get(worker_port, "/livez")[0] == 200 and get(poller_port, "/livez")[0] == 200
    assert "Read-only file system" not in logs()
    assert not (ROOT / ".read-only-probe").exists()

    # Within the limits the manifests give (the worker with its language models loaded).
    worker_workload = manifest("StatefulSet", "wirewatch-worker")
    poller_workload = manifest("Deployment", "wirewatch-poller")
    assert resident_bytes(worker.popen.pid) < memory_limit_bytes(worker_workload)
    assert resident_bytes(poller.popen.pid) < memory_limit_bytes(poller_workload)

    # SIGTERM: each stops cleanly within its terminationGracePeriodSeconds.
    for process, workload in ((worker, worker_workload), (poller, poller_workload)):
        grace = workload["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        started = time.monotonic()
        process.popen.send_signal(signal.SIGTERM)
        assert process.popen.wait(grace) == 0, logs()
        assert time.monotonic() - started < grace
