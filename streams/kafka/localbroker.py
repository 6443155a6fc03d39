"""Start and stop the project's local Apache Kafka broker through deploy/kafka/kafka.sh.

Also a local N-node cluster (`kafka.sh cluster-start`), whose nodes a fault test may SIGKILL and
restart one by one.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from streams.errors import SettingsError

KAFKA_SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "kafka" / "kafka.sh"
START_TIMEOUT_SECONDS = 120
# kafka.sh cluster-start's own readiness wait; a new cluster also formats each node first.
CLUSTER_START_WAIT_SECONDS = 90
NODE_START_WAIT_SECONDS = 60
# Beyond kafka.sh's own wait: a first fetch of the jars from Maven Central, and the storage format.
SCRIPT_SLACK_SECONDS = 600
KILL_TIMEOUT_SECONDS = 30


@dataclass(frozen=True, slots=True)
class LocalBroker:
    port: int
    controller_port: int
    data_dir: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now, for brokers and servers started on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def kafka_script() -> Path:
    """The broker script of this checkout; raises SettingsError outside a source checkout."""
    if not KAFKA_SCRIPT.exists():
        raise SettingsError(
            f"the embedded broker needs {KAFKA_SCRIPT} (a source checkout); "
            "set WIREWATCH_BROKER=host:port to use an existing Kafka broker instead"
        )
    return KAFKA_SCRIPT


def start_local_broker(
    port: int,
    controller_port: int,
    data_dir: Path,
    extra_properties: Path | None = None,
    scram_users: Sequence[str] = (),
) -> LocalBroker:
    """Fetch (first time only), format and start a broker; return once it answers.

    `extra_properties` is appended to the broker's server.properties (more listeners, TLS
    stores, SASL logins); `scram_users` are kafka-storage `--add-scram` specs such as
    "SCRAM-SHA-512=[name=alice,password=...]", created when the storage is first formatted.
    Raises RuntimeError with the script's output when the broker does not come up.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    command = [
        "bash", str(kafka_script()), "start", "--port", str(port),
        "--controller-port", str(controller_port), "--data-dir", str(data_dir),
    ]  # fmt: skip
    if extra_properties is not None:
        command += ["--extra-properties", str(extra_properties)]
    for spec in scram_users:
        command += ["--add-scram", spec]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=START_TIMEOUT_SECONDS + 600
    )
    if done.returncode != 0:
        raise RuntimeError(f"local Kafka broker did not start:\n{done.stdout}\n{done.stderr}")
    return LocalBroker(port, controller_port, data_dir)


def stop_local_broker(broker: LocalBroker, timeout_seconds: int = 20) -> None:
    """SIGTERM the broker, then SIGKILL after `timeout_seconds`."""
    subprocess.run(
        ["bash", str(kafka_script()), "stop", "--data-dir", str(broker.data_dir),
         "--timeout", str(timeout_seconds)],
        capture_output=True, text=True, timeout=timeout_seconds + 30, check=False,
    )  # fmt: skip


def broker_log_tail(data_dir: Path, lines: int = 40) -> str:
    """The last lines of a local broker's log, for error messages."""
    log = data_dir / "broker.log"
    if not log.exists():
        return "(no broker log)"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


# --- a local cluster ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClusterNode:
    """One node (broker and controller) of a LocalCluster; its files are in `data_dir`."""

    node_id: int
    port: int
    controller_port: int
    data_dir: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


@dataclass(frozen=True, slots=True)
class LocalCluster:
    """A KRaft cluster on loopback started by `kafka.sh cluster-start`, node ids 1..N."""

    data_dir: Path
    nodes: tuple[ClusterNode, ...]

    @property
    def bootstrap(self) -> str:
        """Every node's address, comma-separated, as Kafka clients take it."""
        return ",".join(node.address for node in self.nodes)

    @property
    def ports(self) -> tuple[int, ...]:
        return tuple(node.port for node in self.nodes)

    def node(self, node_id: int) -> ClusterNode:
        for node in self.nodes:
            if node.node_id == node_id:
                return node
        raise ValueError(f"node {node_id} is not in this cluster (ids 1..{len(self.nodes)})")

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of every node's log, for error messages."""
        return "\n".join(
            f"--- node {node.node_id} ({node.data_dir}/broker.log) ---\n"
            f"{broker_log_tail(node.data_dir, lines)}"
            for node in self.nodes
        )


def free_ports(count: int) -> list[int]:
    """`count` distinct TCP ports free on 127.0.0.1 right now (all bound at once, then released)."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def cluster_layout(
    ports: int | Sequence[tuple[int, int]] | None, data_dir: Path, nodes: int = 3
) -> LocalCluster:
    """The cluster `start_local_cluster` would start, without starting it.

    `ports` is a base port P (node N listens on P+N-1, its controller on P+nodes+N-1, as
    `kafka.sh cluster-start --base-port` lays them out), one (port, controller port) pair per
    node, or None for free loopback ports.
    """
    if nodes < 1:
        raise ValueError(f"a cluster needs at least one node, not {nodes}")
    if ports is None:
        found = free_ports(2 * nodes)
        pairs = list(zip(found[:nodes], found[nodes:], strict=True))
    elif isinstance(ports, int):
        pairs = [(ports + i, ports + nodes + i) for i in range(nodes)]
    else:
        pairs = [(int(port), int(controller)) for port, controller in ports]
        if len(pairs) != nodes:
            raise ValueError(f"{len(pairs)} port pairs given for {nodes} nodes")
    data_dir = data_dir.resolve()
    return LocalCluster(
        data_dir,
        tuple(
            ClusterNode(n, port, controller, data_dir / f"node-{n}")
            for n, (port, controller) in enumerate(pairs, start=1)
        ),
    )


def _run_script(args: Sequence[str], timeout_seconds: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(kafka_script()), *args],
        capture_output=True, text=True, timeout=timeout_seconds, check=False,
    )  # fmt: skip


def start_local_cluster(
    ports: int | Sequence[tuple[int, int]] | None,
    data_dir: Path,
    nodes: int = 3,
    wait_seconds: int = CLUSTER_START_WAIT_SECONDS,
) -> LocalCluster:
    """Fetch (first time only), format and start an N-node cluster; return once every node is up.

    `ports` as in `cluster_layout`. Every node is broker and controller, on one cluster id, with
    default.replication.factor=N (deploy/kafka/cluster.properties: 3 and min.insync.replicas=2).
    A data dir that already holds a cluster restarts it without a new format. Raises RuntimeError
    with the script's output and each node's log tail when the cluster does not come up; the
    nodes are stopped then.
    """
    cluster = cluster_layout(ports, data_dir, nodes)
    cluster.data_dir.mkdir(parents=True, exist_ok=True)
    args = [
        "cluster-start", "--data-dir", str(cluster.data_dir), "--nodes", str(nodes),
        "--ports", ",".join(str(node.port) for node in cluster.nodes),
        "--controller-ports", ",".join(str(node.controller_port) for node in cluster.nodes),
        "--wait-seconds", str(wait_seconds),
    ]  # fmt: skip
    try:
        done = _run_script(args, wait_seconds + SCRIPT_SLACK_SECONDS)
    except subprocess.TimeoutExpired as exc:
        # The script was killed mid-wait; the nodes it launched are in their own sessions.
        stop_local_cluster(cluster)
        raise RuntimeError(
            f"local Kafka cluster did not start: {exc}\n{cluster.log_tail()}"
        ) from exc
    if done.returncode != 0:
        # kafka.sh has stopped any node it launched; a failure before the launch (a port in use, a
        # node of this data dir still running) leaves whatever ran before alone.
        raise RuntimeError(
            f"local Kafka cluster did not start:\n{done.stdout}\n{done.stderr}\n"
            f"{cluster.log_tail()}"
        )
    return cluster


def stop_local_cluster(cluster: LocalCluster, timeout_seconds: int = 20) -> None:
    """SIGTERM every node at once, then SIGKILL those still up after `timeout_seconds`."""
    _run_script(
        ["cluster-stop", "--data-dir", str(cluster.data_dir), "--timeout", str(timeout_seconds)],
        timeout_seconds + KILL_TIMEOUT_SECONDS,
    )


def kill_node(cluster: LocalCluster, node_id: int) -> None:
    """SIGKILL one node (kill -9: no controlled shutdown, no flush); return once it has exited."""
    cluster.node(node_id)
    done = _run_script(
        ["node-kill", "--data-dir", str(cluster.data_dir), "--node", str(node_id)],
        KILL_TIMEOUT_SECONDS,
    )
    if done.returncode != 0:
        raise RuntimeError(f"kafka.sh node-kill {node_id} failed:\n{done.stderr}")


def stop_node(cluster: LocalCluster, node_id: int, timeout_seconds: int = 20) -> None:
    """SIGTERM one node (a controlled shutdown), SIGKILL after `timeout_seconds`."""
    cluster.node(node_id)
    done = _run_script(
        ["node-stop", "--data-dir", str(cluster.data_dir), "--node", str(node_id),
         "--timeout", str(timeout_seconds)],
        timeout_seconds + KILL_TIMEOUT_SECONDS,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"kafka.sh node-stop {node_id} failed:\n{done.stderr}")


def start_node(
    cluster: LocalCluster, node_id: int, wait_seconds: int = NODE_START_WAIT_SECONDS
) -> ClusterNode:
    """Restart one stopped or killed node on its own data and ports; return once it has rejoined.

    Rejoined: the node logged "Kafka Server started", which it does only once the controller
    quorum has unfenced it, and its port answers. Its replicas re-enter the ISRs as they catch up,
    which a caller that needs full ISRs waits for itself. Raises RuntimeError with the node's log
    tail when it does not come up.
    """
    node = cluster.node(node_id)
    args = [
        "node-start", "--data-dir", str(cluster.data_dir), "--node", str(node_id),
        "--wait-seconds", str(wait_seconds),
    ]  # fmt: skip
    try:
        done = _run_script(args, wait_seconds + KILL_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(
            f"node {node_id} did not restart: {exc}\n{broker_log_tail(node.data_dir)}"
        ) from exc
    if done.returncode != 0:
        raise RuntimeError(
            f"node {node_id} did not restart:\n{done.stderr}\n{broker_log_tail(node.data_dir)}"
        )
    return node
