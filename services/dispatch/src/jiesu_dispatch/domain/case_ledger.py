"""A case as dispatch's ledger holds it: folded once when loaded and carried forward in memory as a command
or a fact adds to it, so nothing is folded again after a commit (the board is written from it too)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from jiesu_shared.catalogue import dispatch as d
from jiesu_shared.catalogue import gateway as g

from jiesu_dispatch.domain.state import CaseState, evolve


@dataclass
class CaseLedger:
    """The case's state with what its events alone do not say: when each task's clocks started (the offer's
    ledger time) and the returns (退单) it went through; and how far the ledger goes (`entries`) and how many
    of them dispatch appended itself (`own`: the event stream's version)."""

    case_id: str
    state: CaseState | None = None
    offered_at: dict[str, datetime] = field(default_factory=dict)
    returns: list[dict[str, Any]] = field(default_factory=list)
    entries: int = 0
    own: int = 0

    def add(self, event: BaseModel, at: datetime, own: bool) -> None:
        self.state = evolve(self.state, event, at)
        self.entries += 1
        self.own += own
        if isinstance(event, d.TaskOffered):
            self.offered_at[event.task_id] = at
        elif isinstance(event, g.TaskReturned):
            self.returns.append({"department_id": event.department_id, "reason": event.reason, "note": event.note,
                                 "suggested_department": event.suggested_department,
                                 "returned_at": _utc_iso(event.returned_at)})


def _utc_iso(moment: datetime) -> str:
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)).isoformat()
