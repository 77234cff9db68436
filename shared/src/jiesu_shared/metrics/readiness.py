"""GET /ready: 200 when the database answers and the service's consumers are within JIESU_READY_MAX_LAG
events of the log's end; else a 503 problem saying which. A log that does not answer does not make the
service unready: the outbox keeps what it writes until the broker is back, and /metrics says so."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI

from jiesu_shared.http.problems import Problem

if TYPE_CHECKING:
    from jiesu_shared.metrics.kernel import ServiceMetrics


def install_ready_route(app: FastAPI, metrics: ServiceMetrics, database_ping: Callable[[], None]) -> None:
    bound = metrics.settings.ready_max_lag

    @app.get("/ready", tags=["operations"],
             summary="Readiness: the database answers and the consumers are caught up to within a bound (open to anyone)")
    async def ready() -> dict:
        try:
            await asyncio.to_thread(database_ping)
        except Exception as exc:
            raise Problem(503, "not-ready", "Not ready", f"the database does not answer ({type(exc).__name__})") from exc
        try:
            lag = sum(p.lag for p in await asyncio.wait_for(metrics.lag.measure(), metrics.settings.lag_timeout_seconds))
        except Exception:
            return {"status": "ready", "service": metrics.service, "database": "ok", "log": "unreachable"}
        if lag > bound:
            raise Problem(503, "not-ready", "Not ready", f"the consumers are {lag} events behind the log (bound {bound})",
                          lag=lag)
        return {"status": "ready", "service": metrics.service, "database": "ok", "lag": lag}
