"""Webhook targets must not point the gateway at the city's own internal network (SSRF).

The URL is checked when a department registers it AND on every delivery, where the connection then
goes to the very address that was checked: a name that resolved to a public address at registration
and to 10.0.0.1 later (DNS rebinding) is refused, and cannot slip in between check and connect.

Only global unicast destinations pass. `ipaddress.is_global` alone is not enough (in Python 3.11 it
calls multicast, IPv4-compatible, 6to4 and NAT64 addresses global), so the IANA special-purpose blocks
are listed here. Of the IPv6 forms that carry an IPv4 address, IPv4-mapped (::ffff:0:0/96) and the
NAT64 well-known prefix (64:ff9b::/96) are judged by the IPv4 address they carry: a DNS64 resolver in
an IPv6-only network synthesises the latter for every IPv4-only name, and RFC 6052 forbids it for
non-global IPv4. IPv4-compatible (::/96, deprecated), 6to4 (2002::/16, deprecated), Teredo (2001::/32)
and local-use NAT64 (64:ff9b:1::/48, where the IPv4 address may sit anywhere) are refused outright:
where they lead depends on relays and local translators, and no department's endpoint needs them.
"""
from __future__ import annotations

import functools
import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

Resolver = Callable[[str, int], list[str]]  # host, port -> IP addresses

_REFUSED_V4 = [ipaddress.IPv4Network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4")]  # the last one holds 255.255.255.255
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")  # everything outside it is reserved or special
_REFUSED_V6 = [ipaddress.IPv6Network(n) for n in (
    "2001::/23", "2001:db8::/32", "2002::/16", "3fff::/20", "5f00::/16")]  # Teredo & co, docs, 6to4, SRv6
_EMBEDDING_V6 = ipaddress.IPv6Network("64:ff9b::/96")  # NAT64 well-known prefix, IPv4 in the last 32 bits


class UnsafeWebhookTarget(ValueError):
    pass


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [_with_zone(sockaddr) for *_, sockaddr in infos]


def _with_zone(sockaddr: tuple) -> str:  # type: ignore[type-arg]
    scope_id = sockaddr[3] if len(sockaddr) == 4 else 0  # an IPv6 answer names its interface apart
    return f"{sockaddr[0]}%{scope_id}" if scope_id else str(sockaddr[0])


def is_public_unicast(text: str) -> bool:
    """True only for an address anyone on the Internet can reach the same way: global unicast."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv4Address):
        return address.is_global and not any(address in network for network in _REFUSED_V4)
    if address.scope_id:
        return False  # a zone id only means something on the local link
    embedded = address.ipv4_mapped or (
        ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in _EMBEDDING_V6 else None)
    if embedded is not None:
        return is_public_unicast(str(embedded))
    return (address in _GLOBAL_UNICAST_V6 and address.is_global
            and not any(address in network for network in _REFUSED_V6))


@dataclass(frozen=True)
class PinnedTarget:
    """Where to connect: the checked address, with the original host for the Host header and TLS (SNI)."""

    url: str  # the URL with the host replaced by the checked IP address
    host_header: str
    sni_hostname: str | None


def _parts(url: str):  # type: ignore[no-untyped-def]
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError as exc:
        raise UnsafeWebhookTarget("webhook URL is malformed") from exc
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeWebhookTarget("webhook URL must be http(s) with a host")
    if parts.username or parts.password:
        raise UnsafeWebhookTarget("webhook URL must not carry credentials")
    return parts


def _safe_addresses(host: str, port: int, *, allow_private: bool, resolve: Resolver) -> list[str]:
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise UnsafeWebhookTarget(f"cannot resolve {host}") from exc
    if not addresses:
        raise UnsafeWebhookTarget(f"cannot resolve {host}")
    for text in addresses:
        if not allow_private and not is_public_unicast(text):
            raise UnsafeWebhookTarget(f"{host} resolves to a non-public address ({text})")
    return addresses


def check_webhook_url(url: str, *, allow_private: bool, resolve: Resolver = system_resolver) -> None:
    """At registration: the URL's form, and (unless private targets are allowed) where it resolves now."""
    parts = _parts(url)
    if not allow_private:
        _safe_addresses(parts.hostname, parts.port or _default_port(parts.scheme), allow_private=False,
                        resolve=resolve)


@functools.lru_cache(maxsize=4096)  # a city's few endpoints, asked at every attempt
def names_an_address(url: str) -> bool:
    """True when the URL's host is an IP address: pinning it asks no DNS server, so nothing waits on the network."""
    try:
        host = urlsplit(url).hostname
        return host is not None and bool(ipaddress.ip_address(host))
    except ValueError:
        return False


def pin_webhook_url(url: str, *, allow_private: bool, resolve: Resolver = system_resolver) -> PinnedTarget:
    """At delivery: resolve once, check every address, and connect to the first of them."""
    parts = _parts(url)
    port = parts.port or _default_port(parts.scheme)
    address = _safe_addresses(parts.hostname, port, allow_private=allow_private, resolve=resolve)[0]
    address = address.split("%", 1)[0]  # only a private (allowed) target can carry a zone id
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    host_header = parts.netloc.rsplit("@", 1)[-1]
    return PinnedTarget(url=parts._replace(netloc=netloc).geturl(), host_header=host_header,
                        sni_hostname=parts.hostname if parts.scheme == "https" else None)


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80
