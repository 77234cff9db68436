"""What a department does with a task offered to it, by its configured behaviour:
decide (accept, report in for a whistle, or return it with a reason), respond, report progress, complete."""
from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from typing import Any

from jiesu_reference_department.config import Behaviour
from jiesu_reference_department.gateway_client import GatewayClient

log = logging.getLogger("reference-department")


@dataclass
class Department:
    name: str
    behaviour: Behaviour
    gateway: GatewayClient
    rng: random.Random
    running: dict[str, asyncio.Task] = field(default_factory=dict)  # task id -> its handling

    def take(self, task: dict[str, Any]) -> None:
        """Start handling an offered task, once (webhooks are at-least-once and polling may see it too)."""
        task_id = task["task_id"]
        if task_id not in self.running:
            self.running[task_id] = asyncio.create_task(self._handle(task), name=f"{self.name}:{task_id}")

    def cancelled(self, task_id: str) -> None:
        handling = self.running.get(task_id)
        if handling is not None and not handling.done():
            handling.cancel()
            log.info("%s stopped work on cancelled task %s", self.name, task_id)

    async def _handle(self, task: dict[str, Any]) -> None:
        b, task_id = self.behaviour, task["task_id"]
        try:
            await asyncio.sleep(b.decide_after_seconds)
            if self.rng.random() < b.return_rate:
                reason = self.rng.choice(b.return_reasons)
                await self._step(task_id, "return", {"reason": reason, "note": b.return_note,
                                                     "suggested_department": b.suggest_department})
                return
            first = "report-in" if task.get("kind") == "whistle_report_in" else "accept"
            if not await self._step(task_id, first, {} if first == "report-in" else None):
                return
            if first == "accept" and b.respond_after_seconds is not None:
                await asyncio.sleep(b.respond_after_seconds)
                await self._step(task_id, "respond", {"note": "called the citizen back"})
            if b.progress_after_seconds is not None:
                await asyncio.sleep(b.progress_after_seconds)
                await self._step(task_id, "progress", {"note": "work under way"})
            if b.complete_after_seconds is not None:
                await asyncio.sleep(b.complete_after_seconds)
                await self._step(task_id, "complete", {"resolution": b.resolution})
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s could not handle task %s", self.name, task_id)

    async def _step(self, task_id: str, action: str, body: dict[str, Any] | None) -> bool:
        response = await self.gateway.act(task_id, action, body, idempotency_key=f"{task_id}:{action}")
        log.info("%s %s task %s: HTTP %s", self.name, action, task_id, response.status_code)
        return response.status_code == 200
