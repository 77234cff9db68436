"""The gateway's composition root."""
from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from jiesu_shared.service import ServiceKernel

from jiesu_gateway.config import GatewaySettings
from jiesu_gateway.delivery import Clock, DeliveryWorker, system_clock
from jiesu_gateway.departments import DepartmentService
from jiesu_gateway.entrypoints import admin, tasks
from jiesu_gateway.tasks import TaskService


@dataclass
class Gateway:
    kernel: ServiceKernel
    departments: DepartmentService
    tasks: TaskService
    delivery: DeliveryWorker


def build_app(settings: GatewaySettings | None = None, *, clock: Clock = system_clock) -> FastAPI:
    settings = settings or GatewaySettings()
    kernel = ServiceKernel.build("gateway", settings)
    gateway = Gateway(
        kernel=kernel,
        departments=DepartmentService(kernel.database, settings.allow_private_webhook_targets),
        tasks=TaskService(kernel.database, kernel.store),
        delivery=DeliveryWorker(database=kernel.database, store=kernel.store,
                                schedule=settings.retry_schedule_seconds, timeout=settings.webhook_timeout_seconds,
                                allow_private=settings.allow_private_webhook_targets,
                                concurrency=settings.delivery_concurrency, clock=clock,
                                on_appended=kernel.relay.wake_threadsafe),
    )
    kernel.consume("tasks", gateway.tasks.handlers())
    return kernel.app(title="Jiesu agency gateway", routers=[admin.router, tasks.router],
                      workers=[gateway.delivery.run], state=gateway)
