"""Reading back webhook deliveries and every attempt at them, for departments and operators."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from jiesu_shared.store import Database

from jiesu_gateway.adapters.tables import Delivery, DeliveryAttempt


@dataclass
class DeliveryLog:
    database: Database

    def list(self, *, department_id: str, status: str | None = None, case_id: str | None = None,
             limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """The department's deliveries, newest first, each with its attempts in order."""
        query = select(Delivery).where(Delivery.department_id == department_id)
        if status is not None:
            query = query.where(Delivery.status == status)
        if case_id is not None:
            query = query.where(Delivery.case_id == case_id)
        with self.database.transaction() as session:
            deliveries = session.exec(query.order_by(col(Delivery.id).desc()).offset(offset).limit(limit)).all()
            ids = [d.id for d in deliveries]
            attempts = session.exec(select(DeliveryAttempt).where(col(DeliveryAttempt.delivery_id).in_(ids))
                                    .order_by(col(DeliveryAttempt.number))).all() if ids else []
        by_delivery: dict[int | None, list[DeliveryAttempt]] = {}
        for attempt in attempts:
            by_delivery.setdefault(attempt.delivery_id, []).append(attempt)
        return [_document(d, by_delivery.get(d.id, [])) for d in deliveries]


def _document(d: Delivery, attempts: list[DeliveryAttempt]) -> dict[str, Any]:
    return {"webhook_id": d.webhook_id, "type": d.event_type, "case_id": d.case_id, "task_id": d.task_id,
            "status": d.status, "next_attempt_at": d.next_attempt_at if d.status == "pending" else None,
            "last_error": d.last_error,
            "attempts": [{"number": a.number, "attempted_at": a.attempted_at, "outcome": a.outcome} for a in attempts]}
