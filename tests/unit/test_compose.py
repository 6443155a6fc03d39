"""docker-compose.yml and deploy/Dockerfile agree: images, commands, broker address and ports."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from streams.cli import build_parser
from streams.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
KAFKA_SERVICE = "kafka"
WIREWATCH_SERVICES = ("worker", "poller")
KAFKA_IMAGE = re.compile(r"^apache/kafka:4\.\d+\.\d+$")
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


def test_dockerfile_installs_the_project_as_a_non_root_user() -> None:
    instructions = dockerfile_instructions(ROOT / "deploy" / "Dockerfile")
    assert instructions[0] == ("FROM", "python:3.11-slim")
    users = [arguments for keyword, arguments in instructions if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert any(keyword == "RUN" and "pip install ." in args for keyword, args in instructions)


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
