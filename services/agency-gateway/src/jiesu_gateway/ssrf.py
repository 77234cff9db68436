"""Webhook targets must not point the gateway at the city's own internal network (SSRF)."""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


class UnsafeWebhookTarget(ValueError):
    pass


def check_webhook_url(url: str, *, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeWebhookTarget("webhook URL must be http(s) with a host")
    if parts.username or parts.password:
        raise UnsafeWebhookTarget("webhook URL must not carry credentials")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnsafeWebhookTarget(f"cannot resolve {parts.hostname}") from exc
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        if not address.is_global:
            raise UnsafeWebhookTarget(f"{parts.hostname} resolves to a non-public address ({address})")
