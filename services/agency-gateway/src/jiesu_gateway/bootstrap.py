"""The gateway's composition root."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI

from jiesu_shared.service import ServiceKernel

from jiesu_gateway.config import GatewaySettings
from jiesu_gateway.delivery import Clock, DeliveryWorker, system_clock
from jiesu_gateway.departments import DepartmentService
from jiesu_gateway.delivery_log import DeliveryLog
from jiesu_gateway.entrypoints import admin, deliveries, me, tasks
from jiesu_gateway.entrypoints.webhooks import document_webhooks
from jiesu_gateway.inbox import Inbox
from jiesu_gateway.ssrf import Resolver, system_resolver
from jiesu_gateway.tasks import TaskService


@dataclass
class Gateway:
    kernel: ServiceKernel
    departments: DepartmentService
    tasks: TaskService
    delivery: DeliveryWorker
    deliveries: DeliveryLog


def build_app(settings: GatewaySettings | None = None, *, clock: Clock = system_clock,
              resolve: Resolver = system_resolver) -> FastAPI:
    settings = settings or GatewaySettings()
    kernel = ServiceKernel.build("gateway", settings)
    gateway = Gateway(
        kernel=kernel,
        departments=DepartmentService(kernel.database, settings.allow_private_webhook_targets, clock=clock,
                                      grace=timedelta(seconds=settings.credential_grace_seconds), resolve=resolve),
        tasks=TaskService(kernel.database, kernel.store, clock=clock),
        delivery=DeliveryWorker(database=kernel.database, store=kernel.store,
                                schedule=settings.retry_schedule_seconds, timeout=settings.webhook_timeout_seconds,
                                allow_private=settings.allow_private_webhook_targets,
                                concurrency=settings.delivery_concurrency, clock=clock,
                                on_appended=kernel.relay.wake_threadsafe, resolve=resolve),
        deliveries=DeliveryLog(kernel.database),
    )
    kernel.consume("tasks", Inbox(clock=clock).handlers(), on_handled=gateway.delivery.wake_threadsafe)
    app = kernel.app(title="Jiesu agency gateway", routers=[admin.router, me.router, tasks.router,
                                                                   deliveries.router],
                     workers=[gateway.delivery.run], state=gateway)
    app.description = DESCRIPTION
    app.version = "1.0.0"
    document_webhooks(app)
    return app


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
