"""Audit's composition root."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI

from jiesu_shared.events import utc_now
from jiesu_shared.service import ServiceKernel

from jiesu_audit.analytics import AuditService
from jiesu_audit.config import AuditSettings
from jiesu_audit.entrypoints.analytics_http import router as analytics_router
from jiesu_audit.entrypoints.http import router
from jiesu_audit.projections.timeline import record_event


def build_app(settings: AuditSettings | None = None, clock: Callable[[], datetime] = utc_now) -> FastAPI:
    settings = settings or AuditSettings()
    kernel = ServiceKernel.build("audit", settings)
    service = AuditService(kernel.database, settings.three_rates(), clock)
    kernel.consume("timeline", handlers={}, catch_all=record_event)
    return kernel.app(title="Jiesu audit", routers=[router, analytics_router], state=service)
