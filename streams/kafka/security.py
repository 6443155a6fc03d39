"""How every wirewatch Kafka client authenticates: TLS and SASL options built from Settings.

One place turns the `security_protocol`, `ssl_*` and `sasl_*` settings into the keyword arguments
aiokafka's producer, consumer and admin clients take (`client_options`). The worker's Faust app
gets the same SSL context and credentials through agents/app.py, so a setting means the same for
the worker, the poller, the CLI and the admin calls.

Nothing here logs or formats a secret: errors name the file or the setting, never its value.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

from aiokafka.abc import AbstractTokenProvider

from streams.errors import SettingsError
from streams.settings import Settings


class FileTokenProvider(AbstractTokenProvider):  # type: ignore[misc]  # aiokafka ships no types
    """An OAUTHBEARER token read from a file at every login.

    Token issuers (a Kubernetes projected service-account token, a Vault agent, a cron job
    calling the IdP) refresh a file in place; re-reading it means a long-running worker never
    logs in with an expired token and needs no restart.
    """

    def __init__(self, path: str) -> None:
        self.path = path

    async def token(self) -> str:
        try:
            return Path(self.path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingsError(
                f"setting 'sasl_oauth_token_file': cannot read {self.path} ({exc.strerror})"
            ) from None


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context for SSL and SASL_SSL, None for the plaintext protocols.

    Raises SettingsError when a CA, certificate or key file cannot be loaded, naming the file.
    """
    if settings.security_protocol not in ("SSL", "SASL_SSL"):
        return None
    # A client context: verifies the broker's certificate against the CA file, or the system's
    # CAs (managed clusters use public CAs), and, by default, that it names the host dialled.
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if settings.ssl_ca_file:
        try:
            context.load_verify_locations(cafile=settings.ssl_ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise SettingsError(
                f"setting 'ssl_ca_file': {settings.ssl_ca_file} is not a readable PEM CA bundle "
                f"({_reason(exc)})"
            ) from None
    if settings.ssl_cert_file:
        try:
            context.load_cert_chain(
                settings.ssl_cert_file,
                settings.ssl_key_file or None,
                password=settings.ssl_key_password or None,
            )
        except (OSError, ssl.SSLError) as exc:
            raise SettingsError(
                f"settings 'ssl_cert_file' and 'ssl_key_file': cannot load the client "
                f"certificate {settings.ssl_cert_file} with key {settings.ssl_key_file} "
                f"({_reason(exc)}; a wrong or missing ssl_key_password reads the same)"
            ) from None
    context.check_hostname = settings.ssl_check_hostname
    return context


def _reason(exc: OSError | ssl.SSLError) -> str:
    return str(getattr(exc, "reason", None) or exc.strerror or exc)


def client_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for AIOKafkaProducer, AIOKafkaConsumer and AIOKafkaAdminClient."""
    options: dict[str, Any] = {"security_protocol": settings.security_protocol}
    context = ssl_context(settings)
    if context is not None:
        options["ssl_context"] = context
    if settings.security_protocol.startswith("SASL_"):
        options["sasl_mechanism"] = settings.sasl_mechanism
        if settings.sasl_mechanism == "OAUTHBEARER":
            options["sasl_oauth_token_provider"] = FileTokenProvider(settings.sasl_oauth_token_file)
        else:
            options["sasl_plain_username"] = settings.sasl_username
            options["sasl_plain_password"] = settings.sasl_password
    return options


def describe_security(settings: Settings) -> str:
    """How this process authenticates, for a start-up log line: no secret, no file content."""
    parts = [settings.security_protocol]
    if settings.security_protocol.startswith("SASL_"):
        who = settings.sasl_username if settings.sasl_mechanism != "OAUTHBEARER" else "token file"
        parts.append(f"{settings.sasl_mechanism} as {who}")
    if settings.security_protocol in ("SSL", "SASL_SSL"):
        parts.append(f"CA {settings.ssl_ca_file or 'system'}")
        if settings.ssl_cert_file:
            parts.append(f"client certificate {settings.ssl_cert_file}")
        if not settings.ssl_check_hostname:
            parts.append("hostname NOT checked")
    return ", ".join(parts)
