"""Audit's composition root."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI

from jiesu_shared.events import utc_now
from jiesu_shared.service import ServiceKernel

from jiesu_audit.handlers import AuditService
from jiesu_audit.config import AuditSettings
from jiesu_audit.entrypoints.analytics_http import router as analytics_router
from jiesu_audit.entrypoints.figures_http import router as figures_router
from jiesu_audit.entrypoints.http import router
from jiesu_audit.entrypoints.signals_http import router as signals_router
from jiesu_audit.readmodel import tables  # noqa: F401  (registers the read-model tables for create_schema)
from jiesu_audit.readmodel.consumer import AuditConsumer
from jiesu_audit.readmodel.period_zone import settle_period_zone
from jiesu_audit.readmodel.states import CaseStates
from jiesu_audit.readmodel.indexes import settle_indexes
from jiesu_audit.readmodel.return_times import add_return_times
from jiesu_audit.readmodel.street_keys import add_street_keys
from jiesu_audit.readmodel.verdict_leads import add_verdict_leads


def build_app(settings: AuditSettings | None = None, clock: Callable[[], datetime] = utc_now) -> FastAPI:
    settings = settings or AuditSettings()
    kernel = ServiceKernel.build("audit", settings)
    add_street_keys(kernel.database)  # a read model from before offers and call-backs carried their street
    settle_period_zone(kernel.database, settings.timezone)  # before any period key is written or asked for
    add_return_times(kernel.database)  # from before returns carried their time (periods in the zone just settled)
    add_verdict_leads(kernel.database)  # from before cases carried their last verdict's lead department
    settle_indexes(kernel.database)  # and the indexes added since its version, if any
    service = AuditService(kernel.database, settings.three_rates(), clock)
    consumer = AuditConsumer(bus=kernel.bus, group=settings.group("audit.readmodel"), topic=settings.topic,
                             dead_letter_topic=settings.dead_letter_topic, database=kernel.database,
                             states=CaseStates(settings.cached_cases), stretch_events=settings.stretch_events,
                             embedded_log=Path(settings.embedded_log_path) if settings.bus == "embedded" else None,
                             catch_up_cases=settings.catch_up_cases, refresh_seconds=settings.refresh_seconds,
                             linger_seconds=settings.linger_seconds)
    routers = [router, analytics_router, signals_router, figures_router]
    return kernel.app(title="Jiesu audit", routers=routers, workers=[consumer.run],
                      state=service, health=lambda: consumer.progress.view(settings.caught_up_within_seconds))
