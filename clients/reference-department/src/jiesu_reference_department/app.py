"""Receive webhooks, verify them per Standard Webhooks, and answer tasks through the gateway's API."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request, Response
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from jiesu_reference_department.config import ReferenceDepartmentSettings
from jiesu_reference_department.gateway_client import GatewayClient
from jiesu_reference_department.messages import MalformedMessage, WebhookMessage, parse_message, problem
from jiesu_reference_department.workflow import Department

log = logging.getLogger("reference-department")


def build_app(settings: ReferenceDepartmentSettings) -> FastAPI:
    credentials = settings.credentials()
    verifiers = {name: Webhook(c.webhook_secret) for name, c in credentials.items()}
    rng = random.Random(settings.seed)
    departments: dict[str, Department] = {}
    seen: set[str] = set()  # webhook-ids already taken: deliveries are at-least-once

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        for name, c in credentials.items():
            departments[name] = Department(name, settings.behaviour(name), GatewayClient(settings.gateway_url, c.api_key),
                                           random.Random(rng.random()))
        poller = asyncio.create_task(poll(settings.poll_interval_seconds)) if settings.poll_interval_seconds else None
        try:
            yield
        finally:
            for task in [poller, *(t for d in departments.values() for t in d.running.values())]:
                if task is not None:
                    task.cancel()
            for department in departments.values():
                await department.gateway.close()

    async def poll(interval: float) -> None:
        """For a department whose webhook was down, or that has none: GET /tasks?status=offered."""
        while True:
            for department in departments.values():
                try:
                    for task in await department.gateway.offered():
                        department.take(task)
                except Exception as exc:  # the gateway may be restarting; try again next round
                    log.warning("polling for %s failed: %s", department.name, exc)
            await asyncio.sleep(interval)

    app = FastAPI(title="Jiesu reference department", lifespan=lifespan)

    @app.post("/webhooks/{department}", status_code=204)
    async def receive(department: str, request: Request) -> Response:
        verifier = verifiers.get(department)
        if verifier is None:
            return problem(404, "Not Found", "unknown department")
        body = await request.body()
        try:
            verifier.verify(body, dict(request.headers), json_parse=False)
        except (WebhookVerificationError, ValueError):  # ValueError: a garbled signature header or body
            return problem(400, "Bad Request", "bad signature")
        try:
            message = parse_message(body)
        except MalformedMessage as exc:
            return problem(exc.status, "Malformed webhook", "the signed body is not a webhook message", exc.errors)
        webhook_id = request.headers["webhook-id"]
        if webhook_id not in seen:
            seen.add(webhook_id)
            handle(departments[department], message)
        return Response(status_code=204)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def handle(department: Department, message: WebhookMessage) -> None:
    data = message.data
    match message.type:
        case "task.offered":
            department.take(data)
        case "task.cancelled":
            department.cancelled(data["task_id"])
        case "task.reminder":
            log.info("%s reminded: %s deadline of task %s is %s", department.name, data.get("clock"),
                     data.get("task_id"), data.get("deadline"))
        case other:
            log.info("%s: %s on case %s", department.name, other, data.get("case_id"))
