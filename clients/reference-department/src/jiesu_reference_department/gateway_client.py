"""The department's side of the gateway's task API, with retries that are safe thanks to Idempotency-Key."""
from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

log = logging.getLogger("reference-department")
RETRYABLE = {408, 425, 429, 500, 502, 503, 504}


class GatewayClient:
    def __init__(self, base_url: str, api_key: str, attempts: int = 5) -> None:
        self._client = httpx.AsyncClient(base_url=base_url, timeout=10,
                                         headers={"authorization": f"Bearer {api_key}"})
        self._attempts = attempts

    async def close(self) -> None:
        await self._client.aclose()

    async def act(self, task_id: str, action: str, body: dict[str, Any] | None, idempotency_key: str) -> httpx.Response:
        """POST /tasks/{id}/{action}; the same key on every retry, so the gateway records it once."""
        response: httpx.Response | None = None
        for attempt in range(self._attempts):
            try:
                response = await self._client.post(f"/tasks/{task_id}/{action}", json=body,
                                                    headers={"idempotency-key": idempotency_key})
            except httpx.TransportError as exc:
                log.warning("%s %s: %s; retrying", action, task_id, exc)
            else:
                retry = response.status_code in RETRYABLE or (
                    response.status_code == 409 and response.json().get("type", "").endswith("/conflict"))
                if not retry:
                    return response
            await asyncio.sleep(0.2 * 2 ** attempt)
        if response is None:
            raise httpx.ConnectError(f"gateway unreachable for {action} {task_id}")
        return response

    async def offered(self) -> list[dict[str, Any]]:
        response = await self._client.get("/tasks", params={"status": "offered"})
        response.raise_for_status()
        return response.json()["tasks"]
