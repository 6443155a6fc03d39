"""docker-compose.yml and deploy/Dockerfile agree: images, commands, broker address and ports,
health checks on /livez, the hardening, and the commented secured-cluster example.
(The image itself is checked in tests/unit/test_dockerfile.py.)"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml
from dockerfile_parse import DockerfileParser
from prometheus_client import CollectorRegistry

from streams.cli import build_parser
from streams.kafka.localbroker import free_port
from streams.metrics import serve_metrics
from streams.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
KAFKA_SERVICE = "kafka"
WIREWATCH_SERVICES = ("worker", "poller")
KAFKA_IMAGE = re.compile(r"^apache/kafka:4\.\d+\.\d+$")
LIVENESS_PATH = "/livez"
# The URL a healthcheck's `python -c` asks.
HEALTH_URL = re.compile(r"http://127\.0\.0\.1:(?P<port>\d+)(?P<path>/\w+)")
# A commented "NAME: value" environment line, and a commented `secrets: [a, b]` list.
COMMENTED_SETTING = re.compile(r"^\s+# (?P<name>WIREWATCH_\w+): (?P<value>\S+)\s*$")
COMMENTED_SECRETS = re.compile(r"^\s+# secrets: \[(?P<names>[^\]]*)\]\s*$")
SERVICE_HEADER = re.compile(r"^  (?P<name>[\w-]+):\s*$")
# ${NAME:-default} as compose interpolates it when NAME is unset.
INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?::?-(?P<default>[^}]*))?\}")


def load_compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def interpolate_unset(value: str) -> str:
    """Resolve compose's ${NAME:-default} as if NAME were unset in the user's shell."""
    return INTERPOLATION.sub(lambda match: match.group("default") or "", value)


def service_environment(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):  # the "NAME=value" list form
        environment = dict(item.split("=", 1) for item in environment)
    return {name: interpolate_unset(str(value)) for name, value in environment.items()}


def command_words(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return command.split() if isinstance(command, str) else [str(word) for word in command]


def parse_listeners(value: str) -> dict[str, tuple[str, int]]:
    """'NAME://host:port,...' → {NAME: (host, port)}; an empty host means every interface."""
    listeners = {}
    for entry in value.split(","):
        name, address = entry.strip().split("://", 1)
        host, port = address.rsplit(":", 1)
        listeners[name] = (host, int(port))
    return listeners


def published_ports(service: dict[str, Any]) -> list[tuple[str, int, int]]:
    """Short-form port entries as (host_ip, host_port, container_port); a bare one has no ip."""
    published = []
    for entry in service.get("ports", []):
        parts = str(entry).split(":")
        if len(parts) == 3:
            published.append((parts[0], int(parts[1]), int(parts[2])))
        elif len(parts) == 2:
            published.append(("", int(parts[0]), int(parts[1])))
        else:
            published.append(("", int(parts[0]), int(parts[0])))
    return published


def dockerfile_of(service: dict[str, Any]) -> Path:
    build = service["build"]
    if isinstance(build, str):
        return ROOT / build / "Dockerfile"
    return ROOT / str(build.get("context", ".")) / str(build.get("dockerfile", "Dockerfile"))


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", path.read_text(encoding="utf-8"))
    instructions = []
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, arguments = stripped.partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    found = load_compose()["services"]
    assert isinstance(found, dict)
    return found


def test_compose_defines_the_broker_worker_and_poller(services: dict[str, Any]) -> None:
    assert set(services) == {KAFKA_SERVICE, *WIREWATCH_SERVICES}


def test_every_service_has_an_image_or_a_buildable_dockerfile(services: dict[str, Any]) -> None:
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        if "build" in service:
            assert dockerfile_of(service).is_file(), f"{name}: {dockerfile_of(service)} is missing"


def test_every_service_has_a_command(services: dict[str, Any]) -> None:
    for name, service in services.items():
        assert command_words(service), name


def test_kafka_runs_an_apache_kafka_4_image(services: dict[str, Any]) -> None:
    assert KAFKA_IMAGE.match(services[KAFKA_SERVICE]["image"])


def test_kafka_is_one_kraft_node_with_single_replica_internal_topics(
    services: dict[str, Any],
) -> None:
    environment = service_environment(services[KAFKA_SERVICE])
    assert set(environment["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert environment["CLUSTER_ID"]
    listeners = parse_listeners(environment["KAFKA_LISTENERS"])
    controller = environment["KAFKA_CONTROLLER_LISTENER_NAMES"]
    node_id = environment["KAFKA_NODE_ID"]
    assert environment["KAFKA_CONTROLLER_QUORUM_VOTERS"] == (
        f"{node_id}@{KAFKA_SERVICE}:{listeners[controller][1]}"
    )
    for name in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR",
    ):
        assert environment[name] == "1", name
    assert environment["KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS"] == "0"


def test_wirewatch_services_point_at_the_listener_kafka_advertises_in_the_network(
    services: dict[str, Any],
) -> None:
    kafka_environment = service_environment(services[KAFKA_SERVICE])
    advertised = parse_listeners(kafka_environment["KAFKA_ADVERTISED_LISTENERS"])
    in_network = {f"{host}:{port}" for host, port in advertised.values() if host == KAFKA_SERVICE}
    assert in_network, "kafka advertises no listener under its service name"
    for name in WIREWATCH_SERVICES:
        assert service_environment(services[name])["WIREWATCH_BROKER"] in in_network, name


def test_wirewatch_services_wait_for_a_healthy_kafka(services: dict[str, Any]) -> None:
    assert services[KAFKA_SERVICE]["healthcheck"]["test"]
    for name in WIREWATCH_SERVICES:
        condition = services[name]["depends_on"][KAFKA_SERVICE]["condition"]
        assert condition == "service_healthy", name


def test_wirewatch_commands_are_subcommands_the_cli_accepts(services: dict[str, Any]) -> None:
    commands = {name: command_words(services[name]) for name in WIREWATCH_SERVICES}
    assert commands == {"worker": ["worker"], "poller": ["poll"]}
    for words in commands.values():
        assert build_parser().parse_args(words).command == words[0]


def test_wirewatch_environment_is_accepted_by_settings(services: dict[str, Any]) -> None:
    for name in WIREWATCH_SERVICES:
        environment = service_environment(services[name])
        settings = load_settings(environ=environment)  # raises on an unknown WIREWATCH_* name
        assert settings.broker == environment["WIREWATCH_BROKER"]
    assert load_settings(environ=service_environment(services["poller"])).feeds


def test_published_ports_listen_on_host_loopback_only(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for host_ip, _, _ in published_ports(service):
            assert host_ip == "127.0.0.1", f"{name} publishes a port on every host interface"


def test_kafka_publishes_exactly_the_listener_it_advertises_to_the_host(
    services: dict[str, Any],
) -> None:
    kafka = services[KAFKA_SERVICE]
    advertised = parse_listeners(service_environment(kafka)["KAFKA_ADVERTISED_LISTENERS"])
    to_host = [(host, port) for host, port in advertised.values() if host == "127.0.0.1"]
    assert [(ip, host_port) for ip, host_port, _ in published_ports(kafka)] == to_host


def test_wirewatch_services_publish_only_their_metrics_port(services: dict[str, Any]) -> None:
    for name, setting in (("worker", "worker_metrics_port"), ("poller", "poller_metrics_port")):
        settings = load_settings(environ=service_environment(services[name]))
        metrics_port = getattr(settings, setting)
        assert [port for _, _, port in published_ports(services[name])] == [metrics_port], name


def test_dockerfile_copies_only_paths_that_exist() -> None:
    for keyword, arguments in dockerfile_instructions(ROOT / "deploy" / "Dockerfile"):
        if keyword == "COPY" and not arguments.startswith("--from"):
            for source in arguments.split()[:-1]:
                assert (ROOT / source).exists(), source


def test_dockerfile_exposes_the_metrics_ports_compose_publishes(services: dict[str, Any]) -> None:
    exposed = {
        int(port)
        for keyword, arguments in dockerfile_instructions(ROOT / "deploy" / "Dockerfile")
        if keyword == "EXPOSE"
        for port in arguments.split()
    }
    for name in WIREWATCH_SERVICES:
        for _, _, container_port in published_ports(services[name]):
            assert container_port in exposed, name


def metrics_port(name: str, services: dict[str, Any]) -> int:
    settings = load_settings(environ=service_environment(services[name]))
    return settings.worker_metrics_port if name == "worker" else settings.poller_metrics_port


def healthcheck_command(service: dict[str, Any]) -> list[str]:
    test = service["healthcheck"]["test"]
    assert isinstance(test, list) and test[0] == "CMD", "exec form: no shell needed"
    return [str(word) for word in test[1:]]


def test_wirewatch_services_check_livez_on_their_metrics_port(services: dict[str, Any]) -> None:
    for name in WIREWATCH_SERVICES:
        command = healthcheck_command(services[name])
        # A slim image has no curl: the image's own Python.
        assert command[:2] == ["python", "-c"], name
        (match,) = HEALTH_URL.finditer(command[2])
        assert match["path"] == LIVENESS_PATH, name
        assert int(match["port"]) == metrics_port(name, services), name
        healthcheck = services[name]["healthcheck"]
        assert healthcheck["retries"] >= 2 and healthcheck["start_period"], name


def test_healthcheck_command_fails_unless_livez_answers_200(services: dict[str, Any]) -> None:
    """Each service's healthcheck snippet, run here against the real metrics server."""
    status = {"code": 200}
    port = serve_metrics(
        CollectorRegistry(), "127.0.0.1", 0, {"/livez": lambda: (status["code"], b"ok\n")}
    )

    def check(command: list[str], to_port: int) -> int:
        snippet = HEALTH_URL.sub(lambda m: f"http://127.0.0.1:{to_port}{m['path']}", command[2])
        return subprocess.run([sys.executable, "-c", snippet], timeout=30, check=False,
                              capture_output=True).returncode  # fmt: skip

    for name in WIREWATCH_SERVICES:
        command = healthcheck_command(services[name])
        status["code"] = 200
        assert check(command, port) == 0, name
        status["code"] = 503
        assert check(command, port) != 0, name
        assert check(command, free_port()) != 0, name


def test_wirewatch_services_run_read_only_without_capabilities(services: dict[str, Any]) -> None:
    image_env = DockerfileParser(path=str(ROOT / "deploy" / "Dockerfile")).envs
    for name in WIREWATCH_SERVICES:
        service = services[name]
        assert service["read_only"] is True, name
        assert "/tmp" in service["tmpfs"], name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
    # The worker writes its Faust data dir: a volume, since the root is read-only.
    data_dir = service_environment(services["worker"]).get(
        "WIREWATCH_DATA_DIR", image_env["WIREWATCH_DATA_DIR"]
    )
    mounted = [str(volume).split(":")[1] for volume in services["worker"]["volumes"]]
    assert any(PurePosixPath(data_dir).is_relative_to(path) for path in mounted)


def commented_examples() -> dict[str, tuple[dict[str, str], list[str]]]:
    """Per wirewatch service: the commented WIREWATCH_* lines and its commented secrets list."""
    examples: dict[str, tuple[dict[str, str], list[str]]] = {}
    service = None
    for line in COMPOSE_FILE.read_text(encoding="utf-8").splitlines():
        header = SERVICE_HEADER.match(line)
        if header:
            service = header["name"]
            examples.setdefault(service, ({}, []))
        setting = COMMENTED_SETTING.match(line)
        if setting and service:
            examples[service][0][setting["name"]] = setting["value"]
        secrets = COMMENTED_SECRETS.match(line)
        if secrets and service:
            examples[service][1].extend(s.strip() for s in secrets["names"].split(","))
    return {name: examples[name] for name in WIREWATCH_SERVICES}


def test_commented_secured_cluster_example_is_accepted_by_settings(
    services: dict[str, Any], tmp_path: Path
) -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    defined = set(re.findall(r"^#   ([\w-]+):\s*$", text, re.MULTILINE))
    for name, (example, secrets) in commented_examples().items():
        assert example, f"{name}: no commented secured-cluster example"
        assert set(secrets) <= defined, f"{name}: secrets not defined in the commented block"
        environment = {**service_environment(services[name]), **example}
        for variable, value in example.items():
            if value.startswith("/run/secrets/"):
                secret = value.removeprefix("/run/secrets/")
                assert secret in secrets, f"{name}: {variable} reads a secret it does not mount"
                local = tmp_path / name / secret
                local.parent.mkdir(exist_ok=True)
                local.write_text(f"{secret}-value\n", encoding="utf-8")
                environment[variable] = str(local)
        settings = load_settings(environ=environment)  # raises on a misspelt setting
        assert settings.security_protocol == "SASL_SSL"
        assert settings.sasl_password == "kafka-password-value"
        assert not any("PASSWORD" in v and not v.endswith("_FILE") for v in example)
