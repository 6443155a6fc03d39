"""The address policy: internal and special ranges are refused, public ones pass, allow-lists work.

Addresses here are only checked, never contacted; name resolution uses only /etc/hosts and
numeric forms that getaddrinfo parses locally.
"""

from __future__ import annotations

import pytest

from streams.errors import FeedError, SettingsError
from streams.feeds.netguard import (
    AddressPolicy,
    UnsafeAddressError,
    check_address,
    resolve_checked,
)

NOTHING_ALLOWED = AddressPolicy()

REFUSED = [
    # IPv4
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("10.0.0.1", "private"),
    ("10.255.255.255", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.254", "private"),
    ("192.168.1.1", "private"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.100.100.200", "carrier-grade NAT"),  # Alibaba Cloud metadata
    ("100.127.255.254", "carrier-grade NAT"),
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("169.254.0.1", "link-local"),
    ("169.254.169.254", "link-local"),  # AWS, GCP, Azure, OpenStack metadata
    ("192.0.0.170", "IETF"),
    ("192.0.2.10", "documentation"),
    ("198.18.0.1", "benchmarking"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    # IPv6
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("fc00::1", "unique local"),
    ("fd12:3456:789a::1", "unique local"),
    ("fd00:ec2::254", "unique local"),  # AWS metadata over IPv6
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("febf:ffff::1", "link-local"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("100::1", "reserved"),  # discard-only
    ("::10.0.0.1", "reserved"),  # deprecated IPv4-compatible form
    ("2001:db8::1", "documentation"),
    ("2001::1", "Teredo"),
    ("64:ff9b:1::1", "reserved"),  # local-use NAT64
    # IPv6 forms of refused IPv4 addresses
    ("::ffff:127.0.0.1", "IPv6 form of 127.0.0.1"),
    ("::ffff:10.0.0.1", "IPv6 form of 10.0.0.1"),
    ("::ffff:169.254.169.254", "IPv6 form of 169.254.169.254"),
    ("::ffff:a9fe:a9fe", "IPv6 form of 169.254.169.254"),
    ("64:ff9b::a9fe:a9fe", "IPv6 form of 169.254.169.254"),  # NAT64
    ("2002:c0a8:0101::1", "IPv6 form of 192.168.1.1"),  # 6to4
]

PUBLIC = [
    "1.1.1.1",
    "8.8.8.8",
    "93.184.215.14",
    "100.63.255.255",  # just below CGNAT
    "100.128.0.0",  # just above CGNAT
    "172.15.255.255",  # just below 172.16/12
    "172.32.0.0",  # just above
    "169.253.255.255",
    "223.255.255.255",  # last unicast before multicast
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8, what DNS64 answers on IPv6-only networks
    "2002:0808:0808::1",  # 6to4 of 8.8.8.8
]


@pytest.mark.parametrize(("address", "reason"), REFUSED)
def test_internal_and_special_address_is_refused(address: str, reason: str) -> None:
    with pytest.raises(UnsafeAddressError, match=reason) as caught:
        check_address(address, NOTHING_ALLOWED)
    assert address in str(caught.value)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_address_passes(address: str) -> None:
    check_address(address, NOTHING_ALLOWED)


def test_unsafe_address_error_is_a_feed_error() -> None:
    assert issubclass(UnsafeAddressError, FeedError)


@pytest.mark.parametrize("text", ["localhost", "", "10.0.0", "1.2.3.4.5", "[::1]", "::g"])
def test_text_that_is_not_an_ip_address_is_refused(text: str) -> None:
    with pytest.raises(UnsafeAddressError, match="not an IP address"):
        check_address(text, NOTHING_ALLOWED)


def test_allowed_network_lets_exactly_its_addresses_through() -> None:
    policy = AddressPolicy.from_strings(["127.0.0.1/32", "10.1.2.0/24", "fd12::/64"])
    for address in ("127.0.0.1", "10.1.2.0", "10.1.2.255", "fd12::5", "::ffff:127.0.0.1"):
        check_address(address, policy)
    for address in ("127.0.0.2", "10.1.3.0", "10.1.1.255", "fd12:0:0:1::5", "169.254.169.254"):
        with pytest.raises(UnsafeAddressError):
            check_address(address, policy)


def test_empty_policy_allows_nothing_internal() -> None:
    assert AddressPolicy.from_strings([]) == NOTHING_ALLOWED
    with pytest.raises(UnsafeAddressError):
        check_address("127.0.0.1", AddressPolicy.from_strings([]))


@pytest.mark.parametrize("text", ["10.0.0.0/33", "10.0.0.1/8", "not-a-network", "fd12::/129"])
def test_malformed_allowed_network_is_a_settings_error(text: str) -> None:
    with pytest.raises(SettingsError, match="CIDR") as caught:
        AddressPolicy.from_strings([text])
    assert text in str(caught.value)


async def test_literal_address_is_checked_without_resolving() -> None:
    assert await resolve_checked("8.8.8.8", 443, NOTHING_ALLOWED) == ["8.8.8.8"]
    assert await resolve_checked("[2606:4700::1]", 443, NOTHING_ALLOWED) == ["2606:4700::1"]
    with pytest.raises(UnsafeAddressError):
        await resolve_checked("[::1]", 80, NOTHING_ALLOWED)


async def test_hostname_resolving_to_loopback_is_refused() -> None:
    with pytest.raises(UnsafeAddressError, match=r"localhost resolves to 127\.0\.0\.1"):
        await resolve_checked("localhost", 80, NOTHING_ALLOWED)


async def test_hostname_is_allowed_when_all_its_addresses_are_allowed() -> None:
    policy = AddressPolicy.from_strings(["127.0.0.0/8", "::1/128"])
    addresses = await resolve_checked("localhost", 80, policy)
    assert "127.0.0.1" in addresses


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "127.1", "0177.0.0.1"])
async def test_numeric_spellings_of_loopback_are_refused(host: str) -> None:
    # inet_aton-style forms are not IP literals to `ipaddress`, but the resolver turns them into
    # 127.0.0.1, and the resolved address is what gets checked.
    with pytest.raises(UnsafeAddressError, match=r"127\.0\.0\.1"):
        await resolve_checked(host, 80, NOTHING_ALLOWED)
