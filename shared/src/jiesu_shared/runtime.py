"""What every service process does around its FastAPI app: logging, tracing, background workers."""
from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from jiesu_shared.collector import set_for_serving
from jiesu_shared.logs import configure_logging, json_logs
from jiesu_shared.settings import ServiceSettings
from jiesu_shared.telemetry import setup_tracing

log = logging.getLogger(__name__)

Worker = Callable[[asyncio.Event], Awaitable[None]]


def worker_lifespan(workers: Callable[[], Sequence[Worker]],
                    on_start: Callable[[], Awaitable[None]] | None = None,
                    on_stop: Callable[[], Awaitable[None]] | None = None):
    """A FastAPI lifespan that runs background workers until shutdown; a crashed worker stops the process
    rather than leaving it half alive."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if on_start is not None:
            await on_start()
        stop = asyncio.Event()
        tasks = [asyncio.create_task(w(stop), name=getattr(w, "__qualname__", "worker")) for w in workers()]
        for task in tasks:
            task.add_done_callback(_exit_if_crashed)
        try:
            yield
        finally:
            stop.set()
            for task in tasks:
                task.remove_done_callback(_exit_if_crashed)
            await asyncio.gather(*tasks, return_exceptions=True)
            if on_stop is not None:
                await on_stop()

    return lifespan


_crashed: list[str] = []  # workers that crashed: the process then exits non-zero, so a supervisor restarts it


def _exit_if_crashed(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background worker %s crashed; stopping the service", task.get_name(),
                  exc_info=task.exception())
        _crashed.append(task.get_name())
        os.kill(os.getpid(), signal.SIGTERM)


def serve(app: FastAPI, settings: ServiceSettings, service: str) -> None:
    configure_logging(service, settings.log_level)  # plain, or JSON lines with trace ids (JIESU_LOG_FORMAT=json)
    setup_tracing(f"jiesu-{service}", otlp_endpoint=settings.otlp_endpoint, trace_file=settings.trace_file)
    set_for_serving()  # the app is built: what start-up made is frozen out of the collector's walks
    # as JSON, uvicorn's own lines go through the root handler too (log_config=None leaves them unconfigured)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower(),
                access_log=False, **({"log_config": None} if json_logs() else {}))
    if _crashed:
        raise SystemExit(f"{service} stopped because a background worker crashed: {', '.join(_crashed)}")
