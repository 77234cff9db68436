"""Tell HTTP clients which trace their request joined.

FastAPI's native telemetry already opens the server span (continuing an incoming `traceparent`)
and makes it current; this only echoes that span's context in a `traceparent` response header, so a
caller (or a test) can find the trace that follows its case across the services. A plain ASGI
middleware: Starlette's BaseHTTPMiddleware costs a task and a stream per request.
"""
from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jiesu_shared.telemetry import current_traceparent


class TraceparentEcho:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_traceparent(message: Message) -> None:
            if message["type"] == "http.response.start":
                traceparent = current_traceparent()
                if traceparent:
                    message = {**message, "headers": [*message.get("headers", []),
                                                      (b"traceparent", traceparent.encode())]}
            await send(message)

        await self.app(scope, receive, send_with_traceparent)


def install_traceparent_echo(app: FastAPI) -> None:
    app.add_middleware(TraceparentEcho)
