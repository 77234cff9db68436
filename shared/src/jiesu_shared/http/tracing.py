"""Tell HTTP clients which trace their request joined.

FastAPI's native telemetry already opens the server span (continuing an incoming `traceparent`)
and makes it current; this only echoes that span's context in a `traceparent` response header, so a
caller (or a test) can find the trace that follows its case across the services.
"""
from __future__ import annotations

from fastapi import FastAPI, Request

from jiesu_shared.telemetry import current_traceparent


def install_traceparent_echo(app: FastAPI) -> None:
    @app.middleware("http")
    async def _echo_traceparent(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        traceparent = current_traceparent()
        if traceparent:
            response.headers["traceparent"] = traceparent
        return response
