"""A minimal HTTP/1.1 webhook receiver on the benchmark's own event loop: records when each case's
offer arrives. Kept tiny on purpose so the receiver is never the bottleneck being measured."""
from __future__ import annotations

import asyncio
import json
import time


class WebhookSink:
    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}  # case id -> perf_counter at arrival
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task] = set()

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/hook"

    async def stop(self) -> None:
        if self._server:
            self._server.close()
        for connection in self._connections:  # keep-alive connections end with the benchmark, quietly
            connection.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        this = asyncio.current_task()
        assert this is not None
        self._connections.add(this)
        this.add_done_callback(self._connections.discard)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                body = await reader.readexactly(length)
                message = json.loads(body)
                if message.get("type") == "task.offered":
                    self.arrivals.setdefault(message["data"]["case_id"], time.perf_counter())
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.close()
