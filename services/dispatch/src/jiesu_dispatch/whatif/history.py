"""Each case's routing history, folded from the log: what dispatch's rules decided, who returned the case
(退单) and why, and who owned it in the end — all the what-if needs, nothing more."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from jiesu_shared.catalogue.common import Place

NOT_BY_RULES = frozenset({"manual", "ruling", "reopened"})  # dispatches a person or the case's past decided
RETURNED = frozenset({"task.returned.v2", "task.rejected.v1"})  # 退单, and its name on logs written before v2


@dataclass(frozen=True)
class Decision:
    """One dispatch by the routing rules: the category in force then, and what the rule named."""

    category: str
    lead: str
    supporting: tuple[str, ...]
    rule: str


@dataclass(frozen=True)
class Return:
    """A lead department's return of the case, with the category in force when it returned it."""

    task_id: str
    department: str
    reason: str
    category: str
    returned_at: datetime


@dataclass
class CaseHistory:
    case_id: str
    received_at: datetime
    category: str
    place: Place
    decisions: list[Decision] = field(default_factory=list)
    lead_tasks: dict[str, str] = field(default_factory=dict)  # task id -> department, lead offers only
    returns: list[Return] = field(default_factory=list)
    owner: str | None = None  # the last lead department that accepted the case

    @property
    def street(self) -> str:
        return f"{self.place.district}/{self.place.street}"


def fold(events: Iterable) -> dict[str, CaseHistory]:  # type: ignore[type-arg]
    """Events (Envelope or EventView) in log order -> each received case's history."""
    cases: dict[str, CaseHistory] = {}
    for event in events:
        data = event.data
        if event.type == "case.received.v1":
            cases[data["case_id"]] = CaseHistory(data["case_id"], _moment(data["received_at"]), data["category"],
                                                 Place(**data["place"]))
        elif (case := cases.get(data.get("case_id", ""))) is not None:
            _apply(case, event.type, data, event.time)
    return cases


def _apply(case: CaseHistory, kind: str, data: dict, at: datetime) -> None:  # type: ignore[type-arg]
    if kind == "case.reclassified.v1":
        case.category = data["category"]
    elif kind == "case.dispatched.v1" and data["rule"] not in NOT_BY_RULES:
        case.decisions.append(Decision(case.category, data["lead_department"],
                                       tuple(data.get("supporting_departments") or ()), data["rule"]))
    elif kind == "task.offered.v1" and data.get("role") == "lead" and data.get("kind", "case") == "case":
        case.lead_tasks[data["task_id"]] = data["department_id"]
    elif kind in RETURNED and data["task_id"] in case.lead_tasks:
        case.returns.append(Return(data["task_id"], data["department_id"], data["reason"], case.category, at))
    elif kind == "task.accepted.v1" and data["task_id"] in case.lead_tasks:
        case.owner = data["department_id"]


def _moment(value: str | datetime) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value
