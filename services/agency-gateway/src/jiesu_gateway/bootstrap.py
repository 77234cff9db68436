"""The gateway's composition root."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import httpx
from fastapi import FastAPI
from pydantic import SecretStr

from jiesu_shared.service import ServiceKernel

from jiesu_gateway.adapters.renamed_status import rename_rejected_tasks
from jiesu_gateway.config import GatewaySettings
from jiesu_gateway.delivery import Clock, DeliveryWorker, system_clock
from jiesu_gateway.departments import DepartmentService
from jiesu_gateway.delivery_log import DeliveryLog
from jiesu_gateway.disclosure import IntakeDisclosures
from jiesu_gateway.entrypoints import admin, deliveries, figures, me, tasks
from jiesu_gateway.entrypoints.deprecation import DeprecatedAliases
from jiesu_gateway.entrypoints.webhooks import document_webhooks
from jiesu_gateway.figures import AuditFigures
from jiesu_gateway.metrics import WebhookCollector
from jiesu_gateway.ssrf import Resolver, system_resolver
from jiesu_gateway.handlers import TaskService, command_handlers, event_handlers


@dataclass
class Gateway:
    kernel: ServiceKernel
    departments: DepartmentService
    tasks: TaskService
    delivery: DeliveryWorker
    deliveries: DeliveryLog
    disclosures: IntakeDisclosures
    figures: AuditFigures

# Asking intake for personal data (or audit for figures) happens while a webhook or a department's request
# waits: give up soon.
SERVICE_TIMEOUT_SECONDS = 3.0


def intake_client(settings: GatewaySettings) -> httpx.AsyncClient | None:
    """Intake's disclosure API, as the staff principal the token names; None when no token is configured."""
    return _service_client(settings.intake_url, settings.intake_token)


def audit_client(settings: GatewaySettings) -> httpx.AsyncClient | None:
    """Audit's figures of one department, as the staff principal the token names; None without a token."""
    return _service_client(settings.audit_url, settings.audit_token)


def _service_client(url: str, token: SecretStr | None) -> httpx.AsyncClient | None:
    if token is None:
        return None
    return httpx.AsyncClient(base_url=url, timeout=SERVICE_TIMEOUT_SECONDS, follow_redirects=False,
                             headers={"authorization": f"Bearer {token.get_secret_value()}",
                                      "user-agent": "jiesu-agency-gateway"})


def build_app(settings: GatewaySettings | None = None, *, clock: Clock = system_clock,
              resolve: Resolver = system_resolver) -> FastAPI:
    settings = settings or GatewaySettings()
    kernel = ServiceKernel.build("gateway", settings)
    disclosures = IntakeDisclosures(intake_client(settings))
    own_figures = AuditFigures(audit_client(settings))
    delivery = DeliveryWorker(database=kernel.database, store=kernel.store, schedule=settings.retry_schedule_seconds,
                              timeout=settings.webhook_timeout_seconds,
                              allow_private=settings.allow_private_webhook_targets,
                              concurrency=settings.delivery_concurrency, clock=clock,
                              on_appended=kernel.relay.wake_threadsafe, resolve=resolve, disclosures=disclosures)
    bus = kernel.message_bus(commands=command_handlers(kernel.store, clock),
                             events=event_handlers(clock, on_enqueued=delivery.expect_news))
    gateway = Gateway(
        kernel=kernel,
        departments=DepartmentService(kernel.database, settings.allow_private_webhook_targets, clock=clock,
                                      grace=timedelta(seconds=settings.credential_grace_seconds), resolve=resolve),
        tasks=TaskService(kernel.database, bus),
        delivery=delivery,
        deliveries=DeliveryLog(kernel.database),
        disclosures=disclosures,
        figures=own_figures,
    )
    kernel.consume("tasks", bus, on_handled=gateway.delivery.wake_threadsafe)
    kernel.metrics.add_collector(WebhookCollector(kernel.database), "webhooks")
    app = kernel.app(title="Jiesu agency gateway", routers=[admin.router, me.router, tasks.router,
                                                                   deliveries.router, figures.router],
                     workers=[gateway.delivery.run], state=gateway)
    app.description = DESCRIPTION
    app.version = "1.0.0"
    document_webhooks(app)
    app.add_middleware(DeprecatedAliases)
    _wrap_lifespan(app, kernel, disclosures, own_figures)
    return app


def _wrap_lifespan(app: FastAPI, kernel: ServiceKernel, disclosures: IntakeDisclosures,
                   own_figures: AuditFigures) -> None:
    """Before the kernel starts the workers, rename what older versions stored; close intake's and audit's
    clients after the kernel's lifespan has stopped the workers that use them."""
    kernel_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(rename_rejected_tasks, kernel.database)
        try:
            async with kernel_lifespan(application):
                yield
        finally:
            await disclosures.aclose()
            await own_figures.aclose()

    app.router.lifespan_context = lifespan


DESCRIPTION = """How departments (housing bureaus, fire brigades, property firms, street offices) receive
cross-department tasks from Jiesu and answer them.

* **Authentication**: `Authorization: Bearer <api_key>`, the key issued when the department was registered.
* **Authorization**: a department sees and acts on its own tasks only; another department's task answers
  404 exactly like a missing one.
* **Idempotency**: send `Idempotency-Key` on any POST; a retry returns the first answer and records nothing twice.
* **Errors**: RFC 9457 `application/problem+json`; a 409 names the task's current status in `task_status`.
* **Webhooks**: signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`);
  see the webhooks section for the payloads. Departments without a webhook poll `GET /tasks?status=offered`.
"""
