"""Can this process reach and log in to the broker? One short check, one line when it cannot.

aiokafka's own bootstrap retries every address, logs each failure and then raises "Unable to
bootstrap" without the reason; a CLI command waited 30 s and printed a 50-line traceback. Every
command and process calls `check_broker` first: it dials each bootstrap address itself with the
configured TLS/SASL options, under `connect_timeout_seconds`, and turns the first real failure
into a `BrokerError` that says what went wrong and which setting to look at.
"""

from __future__ import annotations

import asyncio
import ssl

from aiokafka.conn import create_conn
from aiokafka.errors import (
    KafkaError,
    SaslAuthenticationFailed,
    UnsupportedSaslMechanismError,
)
from aiokafka.protocol.metadata import MetadataRequest

from streams.errors import BrokerError, SettingsError
from streams.kafka.security import client_options
from streams.settings import Settings


def bootstrap_addresses(broker: str) -> list[tuple[str, int]]:
    """`host:port[,host:port]` as (host, port) pairs; SettingsError for a malformed one."""
    addresses = []
    for part in broker.split(","):
        host, _, port = part.strip().rpartition(":")
        host = host.strip("[]")  # an IPv6 literal in brackets
        if not host or not port.isdigit():
            raise SettingsError(f"setting 'broker': {part.strip()!r} is not host:port")
        addresses.append((host, int(port)))
    return addresses


async def check_broker(settings: Settings) -> None:
    """Return once one bootstrap broker accepted our connection and login and answered a
    metadata request; else raise BrokerError naming the addresses and the first reason."""
    options = client_options(settings)
    timeout = settings.connect_timeout_seconds
    reasons = []
    for host, port in bootstrap_addresses(settings.broker):
        try:
            await asyncio.wait_for(_dial(host, port, options, timeout), timeout)
            return
        except TimeoutError:
            reasons.append(_no_answer(host, port, settings))
        except (OSError, KafkaError, ssl.SSLError) as exc:
            reasons.append(explain_failure(exc, host, port, settings))
    raise BrokerError(f"cannot use the Kafka broker at {settings.broker}: {'; '.join(reasons)}")


async def _dial(host: str, port: int, options: dict[str, object], timeout: float) -> None:
    conn = await create_conn(
        host, port, client_id="wirewatch-check", request_timeout_ms=int(timeout * 1000), **options
    )
    try:
        await conn.send(MetadataRequest([]))
    finally:
        conn.close()


def _no_answer(host: str, port: int, settings: Settings) -> str:
    hint = (
        "is the address right and the broker up?"
        if settings.security_protocol == "PLAINTEXT"
        else f"is {host}:{port} a {settings.security_protocol} listener?"
    )
    return (
        f"{host}:{port} did not answer within {settings.connect_timeout_seconds:g} s "
        f"(connect_timeout_seconds); {hint} A TLS or SASL listener also stays silent to a "
        "PLAINTEXT client: check security_protocol"
    )


def explain_failure(exc: BaseException, host: str, port: int, settings: Settings) -> str:
    """One line for a connection failure, naming the setting to check. Never holds a secret:
    aiokafka's and the broker's messages name the user and mechanism, not the password."""
    where = f"{host}:{port}"
    cause = _root_cause(exc)
    if isinstance(cause, ssl.SSLCertVerificationError):
        detail = cause.verify_message or str(cause)
        if "mismatch" in detail or "hostname" in detail.lower():
            return (
                f"TLS: the certificate of {where} does not name {host!r} ({detail}); dial the "
                "broker by a name its certificate has (ssl_check_hostname = false only for a "
                "test broker)"
            )
        return (
            f"TLS: the certificate of {where} is not trusted ({detail}); set ssl_ca_file to "
            f"the CA that signed it (now: {settings.ssl_ca_file or 'the system CAs'})"
        )
    if isinstance(cause, ssl.SSLError):
        return (
            f"TLS handshake with {where} failed ({cause.reason or cause}); check that it is a "
            f"TLS listener and, if it asks for a client certificate, ssl_cert_file/ssl_key_file"
        )
    if isinstance(cause, SaslAuthenticationFailed | UnsupportedSaslMechanismError) or (
        isinstance(cause, KafkaError) and "authentic" in str(cause).lower()
    ):
        who = settings.sasl_username or "the token"
        return (
            f"SASL {settings.sasl_mechanism} login as {who} refused by {where} "
            f"({_message(cause)}); check sasl_mechanism, sasl_username and sasl_password"
        )
    if "expected bytes" in str(cause):  # aiokafka read a frame length that is not Kafka's
        return (
            f"{where} answered, but not as a {settings.security_protocol} Kafka listener (a TLS "
            "listener, or an HTTP server or proxy?); check the address, port and "
            "security_protocol"
        )
    if isinstance(cause, ConnectionRefusedError):
        return f"nothing listens at {where} (connection refused); is the broker up?"
    if isinstance(cause, OSError) and cause.strerror:
        return f"{where}: {cause.strerror}"
    return f"{where}: {_message(cause)}"


def _root_cause(exc: BaseException) -> BaseException:
    """aiokafka wraps socket and TLS errors in KafkaConnectionError; the cause says more."""
    seen = exc
    while seen.__cause__ is not None and seen.__cause__ is not seen:
        seen = seen.__cause__
    return seen


def _message(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())
