"""A real Kafka 4 broker with SASL_SSL and mutual-TLS listeners, and the certificates it needs.

Everything is generated per test session with openssl and keytool into a temporary directory: a
CA, a broker certificate that names only 127.0.0.1 (so dialling "localhost" fails hostname
verification), a client certificate with an encrypted key, and a second, untrusted CA. The broker
(deploy/kafka/kafka.sh with --extra-properties) listens on loopback only:

    PLAINTEXT  inter-broker and controller traffic only
    SASL_SSL   PLAIN (alice), SCRAM-SHA-256 and SCRAM-SHA-512 (alice), OAUTHBEARER (unsecured JWTs)
    SSL        client certificate required (mutual TLS)
"""

from __future__ import annotations

import base64
import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from streams.kafka.localbroker import LocalBroker, free_port, start_local_broker

USER = "alice"
PLAIN_PASSWORD = "plain-Secret-7f3e"
SCRAM_PASSWORD = "scram-Secret-91ab"
KEY_PASSWORD = "clientkey-Secret-55c1"
STORE_PASSWORD = "store-pass-0d9a"
CERT_DAYS = "2"


@dataclass(frozen=True)
class Pki:
    ca: Path  # the CA that signed the broker and client certificates
    rogue_ca: Path  # a CA nobody trusts
    client_cert: Path
    client_key: Path  # encrypted with KEY_PASSWORD
    keystore: Path  # the broker's key and certificate (PKCS12)
    truststore: Path  # the CA, for the broker to check client certificates (PKCS12)


@dataclass(frozen=True)
class SecureBroker:
    broker: LocalBroker
    sasl_ssl_port: int
    ssl_port: int
    pki: Pki

    @property
    def sasl_ssl_address(self) -> str:
        return f"127.0.0.1:{self.sasl_ssl_port}"

    @property
    def ssl_address(self) -> str:
        return f"127.0.0.1:{self.ssl_port}"


def _run(*command: str, cwd: Path) -> None:
    subprocess.run(command, cwd=cwd, check=True, capture_output=True, timeout=60)


def _ca(directory: Path, name: str) -> Path:
    _run(
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key",
        "-out", f"{name}.pem", "-days", CERT_DAYS, "-subj", f"/CN=wirewatch test {name}",
        cwd=directory,
    )  # fmt: skip
    return directory / f"{name}.pem"


def _signed(directory: Path, name: str, extensions: str) -> None:
    _run(
        "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key",
        "-out", f"{name}.csr", "-subj", f"/CN=wirewatch test {name}", cwd=directory,
    )  # fmt: skip
    (directory / f"{name}.ext").write_text(extensions + "\n")
    _run(
        "openssl", "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", f"{name}.pem", "-days", CERT_DAYS,
        "-extfile", f"{name}.ext", cwd=directory,
    )  # fmt: skip


def make_pki(directory: Path) -> Pki:
    directory.mkdir(parents=True, exist_ok=True)
    ca = _ca(directory, "ca")
    rogue_ca = _ca(directory, "rogue-ca")
    # Only the IP: a client dialling "localhost" must fail hostname verification.
    _signed(directory, "broker", "subjectAltName=IP:127.0.0.1")
    _signed(directory, "client", "extendedKeyUsage=clientAuth")
    _run(
        "openssl", "pkey", "-in", "client.key", "-out", "client-encrypted.key", "-aes256",
        "-passout", f"pass:{KEY_PASSWORD}", cwd=directory,
    )  # fmt: skip
    _run(
        "openssl", "pkcs12", "-export", "-in", "broker.pem", "-inkey", "broker.key",
        "-certfile", "ca.pem", "-name", "broker", "-out", "broker.p12",
        "-passout", f"pass:{STORE_PASSWORD}", cwd=directory,
    )  # fmt: skip
    _run(
        "keytool", "-importcert", "-noprompt", "-alias", "ca", "-file", "ca.pem",
        "-keystore", "trust.p12", "-storetype", "PKCS12", "-storepass", STORE_PASSWORD,
        cwd=directory,
    )  # fmt: skip
    return Pki(
        ca=ca,
        rogue_ca=rogue_ca,
        client_cert=directory / "client.pem",
        client_key=directory / "client-encrypted.key",
        keystore=directory / "broker.p12",
        truststore=directory / "trust.p12",
    )


def broker_properties(port: int, controller: int, sasl_ssl: int, ssl_port: int, pki: Pki) -> str:
    jaas = {
        "plain": "org.apache.kafka.common.security.plain.PlainLoginModule required "
        f'user_{USER}="{PLAIN_PASSWORD}";',
        "scram-sha-256": "org.apache.kafka.common.security.scram.ScramLoginModule required;",
        "scram-sha-512": "org.apache.kafka.common.security.scram.ScramLoginModule required;",
        # No server callback handler: Kafka's default validator accepts unsecured JWTs.
        "oauthbearer": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule "
        "required;",
    }
    lines = [
        f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller},"
        f"SASL_SSL://127.0.0.1:{sasl_ssl},SSL://127.0.0.1:{ssl_port}",
        f"advertised.listeners=PLAINTEXT://127.0.0.1:{port},SASL_SSL://127.0.0.1:{sasl_ssl},"
        f"SSL://127.0.0.1:{ssl_port}",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,"
        "SASL_SSL:SASL_SSL,SSL:SSL",
        "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER",
        *(f"listener.name.sasl_ssl.{mech}.sasl.jaas.config={conf}" for mech, conf in jaas.items()),
        "ssl.keystore.type=PKCS12",
        f"ssl.keystore.location={pki.keystore}",
        f"ssl.keystore.password={STORE_PASSWORD}",
        f"ssl.key.password={STORE_PASSWORD}",
        "ssl.truststore.type=PKCS12",
        f"ssl.truststore.location={pki.truststore}",
        f"ssl.truststore.password={STORE_PASSWORD}",
        "listener.name.ssl.ssl.client.auth=required",
    ]
    return "\n".join(lines) + "\n"


def start_secure_broker(directory: Path) -> SecureBroker:
    pki = make_pki(directory / "pki")
    port, controller, sasl_ssl, ssl_port = free_port(), free_port(), free_port(), free_port()
    extra = directory / "secure.properties"
    extra.write_text(broker_properties(port, controller, sasl_ssl, ssl_port, pki))
    broker = start_local_broker(
        port,
        controller,
        directory / "kafka",
        extra_properties=extra,
        scram_users=[
            f"SCRAM-SHA-256=[name={USER},password={SCRAM_PASSWORD}]",
            f"SCRAM-SHA-512=[name={USER},password={SCRAM_PASSWORD}]",
        ],
    )
    return SecureBroker(broker, sasl_ssl, ssl_port, pki)


def unsecured_jwt(subject: str = USER, lifetime_seconds: int = 3600) -> str:
    """An unsigned JWT ("alg": "none"), which Kafka's default OAUTHBEARER validator accepts."""

    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"sub": subject, "iat": now, "exp": now + lifetime_seconds}
    return f"{part({'alg': 'none'})}.{part(claims)}."
