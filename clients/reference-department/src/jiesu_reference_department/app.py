"""Receive webhooks, verify them per Standard Webhooks, and answer the task through the gateway's API."""
from __future__ import annotations

import asyncio
import logging

import httpx
from fastapi import FastAPI, HTTPException, Request, Response
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from jiesu_reference_department.config import ReferenceDepartmentSettings

log = logging.getLogger("reference-department")


def build_app(settings: ReferenceDepartmentSettings) -> FastAPI:
    credentials = settings.credentials()
    verifiers = {name: Webhook(c.webhook_secret) for name, c in credentials.items()}
    seen: set[str] = set()  # webhook-ids already taken: deliveries are at-least-once
    app = FastAPI(title="Jiesu reference department")
    background: set[asyncio.Task] = set()

    async def accept_later(department: str, task_id: str) -> None:
        await asyncio.sleep(settings.accept_after_seconds)  # the department's own decision time
        async with httpx.AsyncClient(base_url=settings.gateway_url, timeout=10) as client:
            response = await client.post(f"/tasks/{task_id}/accept",
                                         headers={"authorization": f"Bearer {credentials[department].api_key}"})
        log.info("%s accepted task %s: HTTP %s", department, task_id, response.status_code)

    @app.post("/webhooks/{department}", status_code=204)
    async def receive(department: str, request: Request) -> Response:
        verifier = verifiers.get(department)
        if verifier is None:
            raise HTTPException(404, "unknown department")
        body = await request.body()
        try:
            message = verifier.verify(body, dict(request.headers))
        except WebhookVerificationError:
            raise HTTPException(400, "bad signature") from None
        webhook_id = request.headers["webhook-id"]
        if webhook_id not in seen:
            seen.add(webhook_id)
            if message["type"] == "task.offered":
                task = asyncio.create_task(accept_later(department, message["data"]["task_id"]))
                background.add(task)
                task.add_done_callback(background.discard)
        return Response(status_code=204)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
