"""Intake's composition root."""
from __future__ import annotations

from fastapi import FastAPI

from jiesu_shared.service import ServiceKernel

from jiesu_intake.config import IntakeSettings
from jiesu_intake.entrypoints.http import router


def build_app(settings: IntakeSettings | None = None) -> FastAPI:
    kernel = ServiceKernel.build("intake", settings or IntakeSettings())
    return kernel.app(title="Jiesu intake", routers=[router])
