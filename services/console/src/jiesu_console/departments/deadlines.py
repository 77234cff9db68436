"""Which of a task's clocks is running, and whether it has run out: the same reading as dispatch's timers."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

LIVE = ("offered", "accepted", "responded", "reported_in")


@dataclass(frozen=True)
class Due:
    clock: str  # decide, respond, resolve or report_in
    deadline: datetime
    overdue: bool


def due_of(task: dict[str, Any], now: datetime | None = None) -> Due | None:
    """The deadline the department must meet next, or None for a task no longer live."""
    status, offer = task["status"], task.get("offer") or {}
    if status not in LIVE:
        return None
    if task["kind"] == "whistle_report_in":
        if status == "reported_in" or not offer.get("report_in_by"):
            return None
        clock, when = "report_in", offer["report_in_by"]
    elif task["kind"] == "meeting_decision" or status == "responded":
        clock, when = "resolve", offer["resolve_by"]
    else:
        clock, when = ("decide", offer["decide_by"]) if status == "offered" else ("respond", offer["respond_by"])
    deadline = datetime.fromisoformat(when)
    return Due(clock, deadline, deadline <= (now or datetime.now(timezone.utc)))
