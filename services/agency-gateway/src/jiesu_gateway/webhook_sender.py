"""Sending one webhook over HTTP/1.1 keep-alive connections (aiohttp), to the address the SSRF check pinned.

aiohttp rather than httpx here: measured under load, httpx's connection pool and anyio streams cost 1.3 ms of
CPU per request at 16 connections (41 % of the gateway's CPU at 60 cases/s); aiohttp's C parser about 0.1 ms.
Its pool keys connections by the TLS server name too, so a department's connection is never reused for
another department's host on the same address.

What the delivery log records stays as it was: "ConnectError: ...", "ReadTimeout: ..." and the like.
"""
from __future__ import annotations

import asyncio
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

import aiohttp
import httpx

from jiesu_gateway.ssrf import PinnedTarget

# A department's answer is not used: read this much of it, so the connection can be kept alive for the next
# webhook; a longer one closes the connection instead of filling memory.
_ANSWER_READ_LIMIT = 64 * 1024


@dataclass(frozen=True)
class Answered:
    status: int
    retry_after: str | None  # the Retry-After header, as sent


class SendFailed(Exception):
    """No answer: the text is what the delivery log records for the attempt."""


class WebhookSender:
    def __init__(self, timeout: float, concurrency: int) -> None:
        # Each phase as httpx bounded it, and the whole attempt too: a receiver trickling its answer a byte at a
        # time must not hold a delivery (and a connection) for hours.
        self._timeout = aiohttp.ClientTimeout(total=4 * timeout, connect=timeout, sock_read=timeout)
        self._concurrency = concurrency
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> WebhookSender:
        # httpx's TLS context: the same trusted roots (certifi, or SSL_CERT_FILE) as the gateway had before
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=self._concurrency, ssl=httpx.create_ssl_context())
        # An egress proxy named in the environment (HTTPS_PROXY & co) is honoured, as httpx did; looked up per
        # request only when one is set (the look-up cost 2 % of the gateway's CPU otherwise).
        self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout,
                                              trust_env=bool(urllib.request.getproxies()),
                                              cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False,
                                              skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"))
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def post(self, target: PinnedTarget, body: bytes, headers: dict[str, str]) -> Answered:
        """POST without following redirects; raises SendFailed when no answer came."""
        assert self._session is not None, "use the sender as an async context manager"
        try:
            async with self._session.post(target.url, data=body, headers=headers, allow_redirects=False,
                                          server_hostname=target.sni_hostname) as response:
                await _drain(response)
                return Answered(response.status, response.headers.get("retry-after"))
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise SendFailed(_as_logged(exc)[:500]) from exc


async def _drain(response: aiohttp.ClientResponse) -> None:
    left = _ANSWER_READ_LIMIT
    while left > 0 and not response.content.at_eof():
        chunk = await response.content.read(left)
        if not chunk:
            return
        left -= len(chunk)


def _as_logged(exc: BaseException) -> str:
    """The words the delivery log has always used (httpx's exception names), so departments' and operators'
    reading of it does not change."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        name = "ConnectTimeout"
    elif isinstance(exc, (aiohttp.ServerTimeoutError, asyncio.TimeoutError)):
        name = "ReadTimeout"
    elif isinstance(exc, (aiohttp.ClientConnectorError, ConnectionRefusedError)):
        name = "ConnectError"
    elif isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError,
                          aiohttp.ClientResponseError)):
        name = "RemoteProtocolError"
    else:
        name = "NetworkError"
    return f"{name}: {exc or type(exc).__name__}"


def retry_after_seconds(answer: Answered, now: datetime) -> float | None:
    """How long the receiver asked us to wait (Retry-After: seconds or an HTTP date), if it asked."""
    value = answer.retry_after
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
    except (TypeError, ValueError):
        return None
