"""Refuse feed addresses that point inside the network (loopback, private, metadata) unless allowed.

A feed URL is user input: without this check, `http://169.254.169.254/` or a hostname resolving to
10.0.0.5 would make the poller fetch cloud credentials or internal admin pages (SSRF). The ranges
are listed explicitly rather than taken from `ipaddress.is_private`/`is_global`, whose meaning
changed between Python 3.11 patch releases.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass

from streams.errors import FeedError, SettingsError

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeAddressError(FeedError):
    """A host that resolves to an address the poller must not contact."""


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    # Networks exempt from the refusal, e.g. 127.0.0.1/32 for tests or 10.1.2.0/24 for an intranet.
    allowed_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_strings(cls, networks: Sequence[str]) -> AddressPolicy:
        """A policy allowing the given CIDR networks; raises SettingsError for a malformed one."""
        parsed: list[IPNetwork] = []
        for text in networks:
            try:
                parsed.append(ipaddress.ip_network(text.strip(), strict=True))
            except ValueError as exc:
                raise SettingsError(
                    f"allowed network {text!r}: not a CIDR network such as 10.1.2.0/24 or "
                    f"fd12::/64 ({exc})"
                ) from None
        return cls(tuple(parsed))

    def allows(self, address: IPAddress) -> bool:
        """True when `address` lies inside one of the allowed networks."""
        return any(address in network for network in self.allowed_networks)


def _networks(*pairs: tuple[str, str]) -> tuple[tuple[IPNetwork, str], ...]:
    return tuple((ipaddress.ip_network(cidr), reason) for cidr, reason in pairs)


# IANA IPv4 Special-Purpose Address Registry, minus the globally reachable entries.
_REFUSED_V4 = _networks(
    ("0.0.0.0/8", "unspecified ('this network')"),
    ("10.0.0.0/8", "private (RFC 1918)"),
    ("100.64.0.0/10", "carrier-grade NAT (RFC 6598)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local (incl. cloud metadata 169.254.169.254)"),
    ("172.16.0.0/12", "private (RFC 1918)"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.2.0/24", "documentation (TEST-NET-1)"),
    ("192.88.99.0/24", "6to4 relay anycast"),
    ("192.168.0.0/16", "private (RFC 1918)"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation (TEST-NET-2)"),
    ("203.0.113.0/24", "documentation (TEST-NET-3)"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved (incl. broadcast)"),
)

# Only 2000::/3 is global unicast; everything outside it is special (loopback, ULA fc00::/7 incl.
# the AWS metadata address fd00:ec2::254, link-local fe80::/10, multicast ff00::/8, ...).
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
_REFUSED_V6 = _networks(
    ("2001::/32", "Teredo tunnel"),
    ("2001:2::/48", "benchmarking"),
    ("2001:db8::/32", "documentation"),
    ("3fff::/20", "documentation"),
)
_SPECIAL_V6 = _networks(
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("fc00::/7", "unique local (private; incl. cloud metadata fd00:ec2::254)"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local (deprecated)"),
    ("ff00::/8", "multicast"),
)
# NAT64 (RFC 6052): DNS64 answers 64:ff9b::a.b.c.d for IPv4-only hosts; the embedded IPv4 decides.
_NAT64_V6 = ipaddress.IPv6Network("64:ff9b::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, NAT64 or 6to4 address leads to, if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64_V6:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def _refusal_reason(address: IPAddress) -> str | None:
    """Why `address` must not be contacted, or None when it is a public address."""
    if isinstance(address, ipaddress.IPv4Address):
        for network, reason in _REFUSED_V4:
            if address in network:
                return f"{reason}, {network}"
        return None
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        inner = _refusal_reason(embedded)
        return None if inner is None else f"IPv6 form of {embedded}: {inner}"
    if address not in _GLOBAL_UNICAST_V6:
        for network, reason in _SPECIAL_V6:
            if address in network:
                return f"{reason}, {network}"
        return "reserved (outside global unicast 2000::/3)"
    for network, reason in _REFUSED_V6:
        if address in network:
            return f"{reason}, {network}"
    return None


def check_address(address: str, policy: AddressPolicy) -> None:
    """Refuse an internal or special IP address unless the policy allows it.

    Raises UnsafeAddressError for loopback, private, link-local (incl. metadata), CGNAT,
    unspecified, multicast, reserved and documentation ranges, their IPv4-mapped, NAT64 and 6to4
    IPv6 forms, and for a string that is not an IP address.
    """
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        raise UnsafeAddressError(f"{address!r} is not an IP address") from None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.scope_id:
        parsed = ipaddress.IPv6Address(address.split("%", 1)[0])
    if policy.allows(parsed):
        return
    if isinstance(parsed, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(parsed)
        if embedded is not None and policy.allows(embedded):
            return
    reason = _refusal_reason(parsed)
    if reason is not None:
        raise UnsafeAddressError(
            f"{address} is {reason}: refused to prevent requests into internal networks; "
            "add its network to the allowed networks if it is meant to be fetched"
        )


def _literal_address(host: str) -> str | None:
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        ipaddress.ip_address(bare)
    except ValueError:
        return None
    return bare


async def resolve_checked(host: str, port: int, policy: AddressPolicy) -> list[str]:
    """The addresses `host` resolves to, after checking every one of them.

    Raises UnsafeAddressError when any address is refused (a mix of public and internal records
    is an attack pattern), and socket.gaierror (an OSError) when the name does not resolve.
    """
    literal = _literal_address(host)
    if literal is not None:
        check_address(literal, policy)
        return [literal]
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise socket.gaierror(socket.EAI_NONAME, f"{host} resolved to no address")
    for address in addresses:
        try:
            check_address(address, policy)
        except UnsafeAddressError as exc:
            raise UnsafeAddressError(f"{host} resolves to {exc}") from None
    return addresses
