"""wirewatch against a secured Kafka: TLS (CA, client certificate, hostname check) and SASL PLAIN,
SCRAM-SHA-256/512 and OAUTHBEARER, on a real broker the test starts with certificates it makes.

What a user of a managed cluster needs: the right credentials connect every component (CLI,
admin, poller, worker), the wrong ones give one clear line, and no secret is printed anywhere.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from conftest import FIXTURES, ROOT, FeedServer
from secure_broker import (
    KEY_PASSWORD,
    PLAIN_PASSWORD,
    SCRAM_PASSWORD,
    USER,
    SecureBroker,
    start_secure_broker,
    unsecured_jwt,
)

from streams.errors import BrokerError, SettingsError
from streams.kafka.connect import check_broker
from streams.kafka.localbroker import free_port, stop_local_broker
from streams.kafka.security import client_options
from streams.settings import Settings, load_settings

pytestmark = pytest.mark.integration

SECRETS = (PLAIN_PASSWORD, SCRAM_PASSWORD, KEY_PASSWORD)
FLOW_TIMEOUT_SECONDS = 120


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureBroker]:
    if not (shutil.which("openssl") and shutil.which("keytool")):
        pytest.fail("openssl and keytool (from the JDK) are needed to make test certificates")
    broker = start_secure_broker(tmp_path_factory.mktemp("secure-kafka"))
    yield broker
    stop_local_broker(broker.broker)


def sasl_env(secure: SecureBroker, mechanism: str, **more: str) -> dict[str, str]:
    env = {
        "WIREWATCH_BROKER": secure.sasl_ssl_address,
        "WIREWATCH_SECURITY_PROTOCOL": "SASL_SSL",
        "WIREWATCH_SSL_CA_FILE": str(secure.pki.ca),
        "WIREWATCH_SASL_MECHANISM": mechanism,
        "WIREWATCH_CONNECT_TIMEOUT_SECONDS": "5",
    }
    if mechanism != "OAUTHBEARER":
        env["WIREWATCH_SASL_USERNAME"] = USER
        env["WIREWATCH_SASL_PASSWORD"] = PLAIN_PASSWORD if mechanism == "PLAIN" else SCRAM_PASSWORD
    env.update(more)
    return env


def mtls_env(secure: SecureBroker, tmp_path: Path, **more: str) -> dict[str, str]:
    key_password = tmp_path / "key-password"
    key_password.write_text(KEY_PASSWORD + "\n")  # as `echo` writes it
    env = {
        "WIREWATCH_BROKER": secure.ssl_address,
        "WIREWATCH_SECURITY_PROTOCOL": "SSL",
        "WIREWATCH_SSL_CA_FILE": str(secure.pki.ca),
        "WIREWATCH_SSL_CERT_FILE": str(secure.pki.client_cert),
        "WIREWATCH_SSL_KEY_FILE": str(secure.pki.client_key),
        "WIREWATCH_SSL_KEY_PASSWORD_FILE": str(key_password),
        "WIREWATCH_CONNECT_TIMEOUT_SECONDS": "5",
    }
    env.update(more)
    return env


async def round_trip(settings: Settings, topic: str) -> bytes:
    """Produce one message and read it back through clients built from `settings`."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.broker, **client_options(settings))
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"hello over TLS")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.broker,
        auto_offset_reset="earliest",
        **client_options(settings),
    )
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), 30)
        return bytes(record.value or b"")
    finally:
        await consumer.stop()


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"])
def test_each_sasl_mechanism_connects_produces_and_consumes(
    secure: SecureBroker, tmp_path: Path, mechanism: str
) -> None:
    more = {}
    if mechanism == "OAUTHBEARER":
        token = tmp_path / "token"
        token.write_text(unsecured_jwt())
        more["WIREWATCH_SASL_OAUTH_TOKEN_FILE"] = str(token)
    settings = load_settings(environ=sasl_env(secure, mechanism, **more))
    asyncio.run(check_broker(settings))
    topic = f"secure-{mechanism.lower()}"
    assert asyncio.run(round_trip(settings, topic)) == b"hello over TLS"


def test_mutual_tls_with_an_encrypted_client_key(secure: SecureBroker, tmp_path: Path) -> None:
    settings = load_settings(environ=mtls_env(secure, tmp_path))
    asyncio.run(check_broker(settings))
    assert asyncio.run(round_trip(settings, "secure-mtls")) == b"hello over TLS"


def broker_error(environ: dict[str, str]) -> str:
    with pytest.raises(BrokerError) as caught:
        asyncio.run(check_broker(load_settings(environ=environ)))
    message = str(caught.value)
    assert "\n" not in message
    assert not any(secret in message for secret in SECRETS)
    return message


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-512"])
def test_wrong_password_is_one_line_naming_the_login(secure: SecureBroker, mechanism: str) -> None:
    message = broker_error(sasl_env(secure, mechanism, WIREWATCH_SASL_PASSWORD="not-the-password"))
    assert f"SASL {mechanism} login as {USER} refused" in message
    assert "not-the-password" not in message


def test_untrusted_broker_certificate_is_one_line_naming_the_ca(secure: SecureBroker) -> None:
    message = broker_error(
        sasl_env(secure, "SCRAM-SHA-256", WIREWATCH_SSL_CA_FILE=str(secure.pki.rogue_ca))
    )
    assert "not trusted" in message and "ssl_ca_file" in message


def test_hostname_is_verified_unless_turned_off(secure: SecureBroker) -> None:
    by_name = f"localhost:{secure.sasl_ssl_port}"  # the certificate names only 127.0.0.1
    message = broker_error(sasl_env(secure, "SCRAM-SHA-256", WIREWATCH_BROKER=by_name))
    assert "does not name 'localhost'" in message
    unchecked = sasl_env(
        secure, "SCRAM-SHA-256", WIREWATCH_BROKER=by_name, WIREWATCH_SSL_CHECK_HOSTNAME="false"
    )
    asyncio.run(check_broker(load_settings(environ=unchecked)))


def test_missing_client_certificate_is_refused_in_one_line(
    secure: SecureBroker, tmp_path: Path
) -> None:
    env = mtls_env(secure, tmp_path)
    for name in ("WIREWATCH_SSL_CERT_FILE", "WIREWATCH_SSL_KEY_FILE",
                 "WIREWATCH_SSL_KEY_PASSWORD_FILE"):  # fmt: skip
        del env[name]
    message = broker_error(env)
    assert f"127.0.0.1:{secure.ssl_port}" in message


def test_plaintext_client_on_a_tls_listener_gets_a_hint(secure: SecureBroker) -> None:
    env = {"WIREWATCH_BROKER": secure.sasl_ssl_address, "WIREWATCH_CONNECT_TIMEOUT_SECONDS": "2"}
    message = broker_error(env)
    assert "security_protocol" in message


def test_wrong_client_key_password_is_a_settings_error(
    secure: SecureBroker, tmp_path: Path
) -> None:
    env = mtls_env(secure, tmp_path)
    del env["WIREWATCH_SSL_KEY_PASSWORD_FILE"]
    env["WIREWATCH_SSL_KEY_PASSWORD"] = "wrong-key-password"
    with pytest.raises(SettingsError) as caught:
        client_options(load_settings(environ=env))
    assert "ssl_key_password" in str(caught.value)
    assert "wrong-key-password" not in str(caught.value)


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streams.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_cli_over_sasl_ssl_and_its_errors(
    secure: SecureBroker, tmp_path: Path, topic_prefix: str, base_env: dict[str, str]
) -> None:
    password_file = tmp_path / "password"
    password_file.write_text(SCRAM_PASSWORD + "\n")
    env = {**base_env, **sasl_env(secure, "SCRAM-SHA-512"), "WIREWATCH_TOPIC_PREFIX": topic_prefix}
    del env["WIREWATCH_SASL_PASSWORD"]
    env["WIREWATCH_SASL_PASSWORD_FILE"] = str(password_file)
    added = cli(env, "feeds", "add", "https://news.example/rss.xml", "--name", "Example")
    assert added.returncode == 0, added.stderr
    listed = cli(env, "feeds", "list", "--json")
    assert listed.returncode == 0 and "news.example" in listed.stdout, listed.stderr
    config = cli(env, "config")
    assert config.returncode == 0 and '"sasl_password": "***"' in config.stdout
    wrong = cli({**env, "WIREWATCH_SASL_PASSWORD_FILE": str(tmp_path / "nope")}, "feeds", "list")
    assert wrong.returncode == 2 and "SASL_PASSWORD_FILE" in wrong.stderr.upper()
    (tmp_path / "bad").write_text("wrong\n")
    refused = cli({**env, "WIREWATCH_SASL_PASSWORD_FILE": str(tmp_path / "bad")}, "tail", "alerts")
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert "login as alice refused" in refused.stderr
    for done in (added, listed, config, wrong, refused):
        assert not any(secret in done.stdout + done.stderr for secret in SECRETS)


@pytest.fixture
def base_env(tmp_path: Path) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    env["WIREWATCH_DATA_DIR"] = str(tmp_path / "var")
    return env


def test_worker_and_poller_run_the_pipeline_over_sasl_ssl_without_printing_secrets(
    secure: SecureBroker,
    feed_server: FeedServer,
    topic_prefix: str,
    base_env: dict[str, str],
    spawn: Callable[..., Any],
) -> None:
    shutil.copy(FIXTURES / "feeds" / "rss2_basic.xml", feed_server.directory)
    env = {
        **base_env,
        **sasl_env(secure, "SCRAM-SHA-512"),
        "WIREWATCH_TOPIC_PREFIX": topic_prefix,
        "WIREWATCH_APP_ID": f"wirewatch-{topic_prefix.rstrip('.')}",
        "WIREWATCH_PARTITIONS": "1",
        "WIREWATCH_WORKER_METRICS_PORT": str(free_port()),
        "WIREWATCH_POLLER_METRICS_PORT": str(free_port()),
        "WIREWATCH_ALLOWED_NETWORKS": "127.0.0.1/32",
        "WIREWATCH_FEEDS": feed_server.url("rss2_basic.xml"),
        "WIREWATCH_LOG_LEVEL": "debug",  # the most a log would ever print
    }
    worker = spawn(["worker"], env)
    poller = spawn(["poll"], env)
    settings = load_settings(environ=env)
    articles = asyncio.run(read_some(settings, settings.topic("articles"), FLOW_TIMEOUT_SECONDS))
    assert articles, f"no article over SASL_SSL\n{worker.output()}\n{poller.output()}"
    for process in (worker, poller):
        process.stop()
        output = process.log_path.read_text(errors="replace")
        leaked = [secret for secret in SECRETS if secret in output]
        assert not leaked, f"secret printed by {process.popen.args}"
        assert "SASL_SSL, SCRAM-SHA-512 as alice" in output


async def read_some(settings: Settings, topic: str, timeout_seconds: float) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.broker,
        auto_offset_reset="earliest",
        **client_options(settings),
    )
    await consumer.start()
    values: list[bytes] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout_seconds
        while not values and asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            values += [bytes(r.value or b"") for batch in batches.values() for r in batch]
    finally:
        await consumer.stop()
    return values
