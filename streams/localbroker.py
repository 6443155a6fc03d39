"""Start and stop the project's local Apache Kafka broker through deploy/kafka/kafka.sh."""

from __future__ import annotations

import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from streams.errors import SettingsError

KAFKA_SCRIPT = Path(__file__).resolve().parents[1] / "deploy" / "kafka" / "kafka.sh"
START_TIMEOUT_SECONDS = 120


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


def start_local_broker(port: int, controller_port: int, data_dir: Path) -> LocalBroker:
    """Fetch (first time only), format and start a broker; return once it answers.

    Raises RuntimeError with the script's output when the broker does not come up.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    command = [
        "bash", str(kafka_script()), "start", "--port", str(port),
        "--controller-port", str(controller_port), "--data-dir", str(data_dir),
    ]  # fmt: skip
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
