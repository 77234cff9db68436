"""Intake's composition root."""
from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from jiesu_shared.personal import warm_up as load_name_dictionary
from jiesu_shared.service import ServiceKernel

from jiesu_intake.config import IntakeSettings
from jiesu_intake.entrypoints.disclosures import router as disclosures_router
from jiesu_intake.entrypoints.http import router
from jiesu_intake.entrypoints.open311 import router as open311_router
from jiesu_intake.entrypoints.open311_discovery import router as discovery_router
from jiesu_intake.entrypoints.preview import router as preview_router
from jiesu_intake.handlers import IntakeService
from jiesu_intake.key_setup import set_up_keys


def build_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    kernel = ServiceKernel.build("intake", settings)
    set_up_keys(kernel.database, settings)  # before serving: no key is made or read without the master key
    load_name_dictionary()  # jieba's dictionary, once, not on the first POST /cases
    service = IntakeService(database=kernel.database, store=kernel.store, taxonomy=settings.taxonomy(),
                            duplicate_window=timedelta(hours=settings.duplicate_window_hours),
                            on_committed=kernel.relay.wake_threadsafe,
                            group_commit_interval=settings.group_commit_interval_seconds)
    kernel.consume("handled", service.bus)
    app = kernel.app(title="Jiesu intake", routers=[preview_router, router, disclosures_router, open311_router, discovery_router],
                     workers=[service.run_writer],
                     state=service)
    return app
