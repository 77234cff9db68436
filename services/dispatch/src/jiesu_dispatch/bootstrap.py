"""Dispatch's composition root."""
from __future__ import annotations

from fastapi import FastAPI

from jiesu_shared.service import ServiceKernel

from jiesu_dispatch.config import DispatchSettings
from jiesu_dispatch.entrypoints.http import router
from jiesu_dispatch.handlers import DispatchHandlers


def build_app(settings: DispatchSettings | None = None) -> FastAPI:
    settings = settings or DispatchSettings()
    kernel = ServiceKernel.build("dispatch", settings)
    handlers = DispatchHandlers(store=kernel.store, routing=settings.routing_table(), sla=settings.sla_policy())
    kernel.consume("cases", handlers.handlers())
    return kernel.app(title="Jiesu dispatch", routers=[router])
