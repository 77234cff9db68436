"""Audit's composition root."""
from __future__ import annotations

from fastapi import FastAPI

from jiesu_shared.service import ServiceKernel

from jiesu_audit.config import AuditSettings
from jiesu_audit.entrypoints.http import router
from jiesu_audit.projections.timeline import record_event


def build_app(settings: AuditSettings | None = None) -> FastAPI:
    kernel = ServiceKernel.build("audit", settings or AuditSettings())
    kernel.consume("timeline", handlers={}, catch_all=record_event)
    return kernel.app(title="Jiesu audit", routers=[router])
