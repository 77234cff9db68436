"""A minimal HTTP/1.1 keep-alive client for the load generator: one connection, one request at a time.

httpx costs the benchmark 3 ms of CPU per request at 16 connections and 8 ms at 64 (its pool), on the
same two cores as the service it measures; this costs a small fraction of that, so the numbers are the
service's, not the load generator's. Kept tiny on purpose, like the webhook sink.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
import json
import uuid
from urllib.parse import urlsplit


class HttpError(Exception):
    """An answer other than 2xx, or a connection that broke: the request counts as failed."""


class _Broken(Exception):
    pass


class KeepAliveConnection:
    def __init__(self, base_url: str, token: str) -> None:
        parts = urlsplit(base_url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._auth = f"Authorization: Bearer {token}\r\n"
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post_json(self, path: str, body: dict) -> dict:
        """POST with an Idempotency-Key, so that a retry on a fresh connection cannot record twice."""
        payload = json.dumps(body, ensure_ascii=False).encode()
        head = (f"POST {path} HTTP/1.1\r\nHost: {self._host}:{self._port}\r\n{self._auth}"
                f"Content-Type: application/json\r\nIdempotency-Key: {uuid.uuid4()}\r\nContent-Length: {len(payload)}\r\n\r\n").encode()
        return await self._exchange(head + payload)

    async def get_json(self, path: str) -> dict:
        return await self._exchange(f"GET {path} HTTP/1.1\r\nHost: {self._host}:{self._port}\r\n{self._auth}\r\n".encode())

    async def _exchange(self, request: bytes) -> dict:
        if self._writer is not None:  # a kept-alive connection the server may have closed while idle
            try:
                return await self._exchange_once(request)
            except _Broken:
                pass  # as HTTP clients do: once more on a fresh connection
        try:
            return await self._exchange_once(request)
        except _Broken as exc:
            raise HttpError(f"connection broke: {exc.__cause__!r}") from exc

    async def _exchange_once(self, request: bytes) -> dict:
        try:
            if self._writer is None:
                self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
            assert self._reader is not None
            self._writer.write(request)
            status, length, closing = _parse_head(await self._reader.readuntil(b"\r\n\r\n"))
            answer = await self._reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            await self.close()
            raise _Broken() from exc
        if closing:
            await self.close()
        if not 200 <= status < 300:
            raise HttpError(f"HTTP {status}: {answer[:200]!r}")
        return json.loads(answer)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._reader = self._writer = None


def _parse_head(head: bytes) -> tuple[int, int, bool]:
    """(status, content length, whether the server closes the connection after this answer)."""
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines if line)}
    if "content-length" not in headers:
        raise HttpError(f"an answer without Content-Length: {status_line}")  # intake always sends it
    return int(status_line.split()[1]), int(headers["content-length"]), headers.get("connection") == "close"


class ConnectionPool:
    """Keep-alive connections to one server for an open-loop load: a request takes a free one or opens one."""

    def __init__(self, base_url: str, token: str) -> None:
        self._base_url = base_url
        self._token = token
        self._free: list[KeepAliveConnection] = []
        self._all: list[KeepAliveConnection] = []

    async def post_json(self, path: str, body: dict) -> dict:
        async with self._connection() as connection:
            return await connection.post_json(path, body)

    async def get_json(self, path: str) -> dict:
        async with self._connection() as connection:
            return await connection.get_json(path)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[KeepAliveConnection]:
        """A free connection (or a new one) for one request, given back afterwards."""
        if self._free:
            connection = self._free.pop()
        else:
            connection = KeepAliveConnection(self._base_url, self._token)
            self._all.append(connection)
        try:
            yield connection
        finally:
            self._free.append(connection)

    async def close(self) -> None:
        for connection in self._all:
            await connection.close()
