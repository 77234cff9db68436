"""Every service's one ASGI layer of its own, around all its routes: the request's server span (continuing
the caller's trace), the request limits (limits.py), the `traceparent` echo, and the latency histogram
(metrics/http.py).

These were four layers, each with its own `send` wrapper (and FastAPI's native telemetry besides); on a
busy intake the layers cost more CPU than the route. One layer, one `send` wrapper, does the same:
- a body over the limit or a NUL anywhere is answered 413/422 problem+json before a route reads it or a
  guard looks at the token, whatever the app made of the aborted read;
- the response carries `traceparent`, so a caller can find the trace that follows its case;
- every request (refusals and errors too) is timed by method, route template and status class.
"""
from __future__ import annotations

import time

from prometheus_client import Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jiesu_shared.http import server_span
from jiesu_shared.http.limits import CheckedBody, Refused, answer, refused_up_front


class HttpEdge:
    def __init__(self, app: ASGIApp, *, max_bytes: int, histogram: Histogram) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.histogram = histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        span, token = server_span.start(scope)
        exchange = _Exchange(send, server_span.traceparent(span), CheckedBody(receive, self.max_bytes))
        error: BaseException | None = None
        try:
            refused = refused_up_front(scope, self.max_bytes) or await self._app(scope, exchange)
            if refused is not None and not exchange.started:
                await answer(scope, exchange.answer, refused)
        except BaseException as exc:
            error = exc  # FastAPI's outer error layer answers 500
            raise
        finally:
            template = getattr(scope.get("route"), "path", None)
            server_span.finish(span, token, scope["method"], template, exchange.status, error)
            self.histogram.labels(scope["method"], template or "unmatched", f"{exchange.status // 100}xx").observe(
                time.perf_counter() - started)

    async def _app(self, scope: Scope, exchange: _Exchange) -> Refused | None:
        try:
            await self.app(scope, exchange.body, exchange.send)
        except Refused:
            pass  # raised by the body check through a route that did not catch it
        return exchange.body.refused


class _Exchange:
    """One request's body check and response side: the one `send` wrapper."""

    __slots__ = ("_send", "_traceparent", "body", "started", "status")

    def __init__(self, send: Send, traceparent: bytes | None, body: CheckedBody) -> None:
        self._send, self._traceparent, self.body = send, traceparent, body
        self.started, self.status = False, 500

    async def send(self, message: Message) -> None:
        if self.body.refused is None:  # else whatever the app made of the aborted read, the answer is the refusal
            await self.answer(message)

    async def answer(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started, self.status = True, message["status"]
            if self._traceparent is not None:
                message = {**message, "headers": [*message.get("headers", ()), (b"traceparent", self._traceparent)]}
        await self._send(message)
