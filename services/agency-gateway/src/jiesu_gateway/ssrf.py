"""Webhook targets must not point the gateway at the city's own internal network (SSRF).

The URL is checked when a department registers it AND on every delivery, where the connection then
goes to the very address that was checked: a name that resolved to a public address at registration
and to 10.0.0.1 later (DNS rebinding) is refused, and cannot slip in between check and connect.
"""
from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

Resolver = Callable[[str, int], list[str]]  # host, port -> IP addresses


class UnsafeWebhookTarget(ValueError):
    pass


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(sockaddr[0]) for *_, sockaddr in infos]


@dataclass(frozen=True)
class PinnedTarget:
    """Where to connect: the checked address, with the original host for the Host header and TLS (SNI)."""

    url: str  # the URL with the host replaced by the checked IP address
    host_header: str
    sni_hostname: str | None


def _parts(url: str):  # type: ignore[no-untyped-def]
    parts = urlsplit(url)
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
        address = ipaddress.ip_address(text.split("%", 1)[0])
        mapped = getattr(address, "ipv4_mapped", None)
        if not allow_private and (not address.is_global or (mapped is not None and not mapped.is_global)):
            raise UnsafeWebhookTarget(f"{host} resolves to a non-public address ({address})")
    return addresses


def check_webhook_url(url: str, *, allow_private: bool, resolve: Resolver = system_resolver) -> None:
    """At registration: the URL's form, and (unless private targets are allowed) where it resolves now."""
    parts = _parts(url)
    if not allow_private:
        _safe_addresses(parts.hostname, parts.port or _default_port(parts.scheme), allow_private=False,
                        resolve=resolve)


def pin_webhook_url(url: str, *, allow_private: bool, resolve: Resolver = system_resolver) -> PinnedTarget:
    """At delivery: resolve once, check every address, and connect to the first of them."""
    parts = _parts(url)
    port = parts.port or _default_port(parts.scheme)
    address = _safe_addresses(parts.hostname, port, allow_private=allow_private, resolve=resolve)[0]
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    host_header = parts.netloc.rsplit("@", 1)[-1]
    return PinnedTarget(url=parts._replace(netloc=netloc).geturl(), host_header=host_header,
                        sni_hostname=parts.hostname if parts.scheme == "https" else None)


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80
