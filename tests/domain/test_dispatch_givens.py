"""Givens for dispatch's domain tests: a received case, a context with a fixed clock and ids, department acts."""
from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from jiesu_shared.catalogue import gateway as g
from jiesu_shared.catalogue.common import Place
from jiesu_shared.catalogue.dispatch import TaskOffered
from jiesu_shared.catalogue.intake import CaseReceived

from jiesu_dispatch.domain.decider import Context, react
from jiesu_dispatch.domain.routing import RoutingTable
from jiesu_dispatch.domain.sla import SlaPolicy
from jiesu_dispatch.domain.state import CaseState, evolve, fold

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
TABLE = RoutingTable.from_dict({
    "version": "v1",
    "rules": [{"id": "construction", "category": "illegal_construction", "lead": "urban-management",
               "supporting": ["housing"], "fallbacks": ["street-office"]}],
    "fallback": {"id": "street-first", "lead": "street-office", "fallbacks": ["community"]},
})


def received(category: str = "illegal_construction", street: str = "Jingshan") -> CaseReceived:
    return CaseReceived(case_id="c1", channel="hotline", text="私搭乱建 illegal shed", category=category,
                        place=Place(district="Dongcheng", street=street), received_at=NOW)


def context(*, routing: RoutingTable = TABLE, sla: SlaPolicy | None = None, now: datetime = NOW,
            max_returns: int = 2, directory: frozenset[str] = frozenset({"fire-safety", "environment"}),
            ids: itertools.count | None = None, areas: dict[str, tuple[str, ...]] | None = None) -> Context:
    counter = ids or itertools.count(1)
    return Context(routing=routing, sla=sla or SlaPolicy(), now=now, new_id=lambda: f"t{next(counter)}",
                   max_returns=max_returns, directory=directory, areas=areas or {})


class Story:
    """Given these events, when this fact or command, then those events: the history grows as in the service."""

    def __init__(self, **ctx: object) -> None:
        self.ids = itertools.count(1)
        self.ctx_args = ctx
        self.history: list[BaseModel] = []

    def ctx(self, minutes: float = 0) -> Context:
        return context(ids=self.ids, now=NOW + timedelta(minutes=minutes), **self.ctx_args)  # type: ignore[arg-type]

    @property
    def state(self) -> CaseState | None:
        return fold(self.history)

    def happen(self, fact: BaseModel, minutes: float = 0) -> list[BaseModel]:
        after = evolve(self.state, fact)
        events = react(after, fact, self.ctx(minutes))
        self.history += [fact, *events]
        return events

    def record(self, events: list[BaseModel]) -> list[BaseModel]:
        self.history += events
        return events

    def task_of(self, department: str, kind: str = "case") -> TaskOffered:
        offers = [e for e in self.history if isinstance(e, TaskOffered) and e.department_id == department
                  and e.kind == kind]
        return offers[-1]

    def returned(self, department: str, *, suggested: str | None = None) -> g.TaskReturned:
        task = self.task_of(department)
        return g.TaskReturned(task_id=task.task_id, case_id="c1", department_id=department, reason="not_our_remit",
                              suggested_department=suggested, returned_at=NOW)

    def accepted(self, department: str) -> g.TaskAccepted:
        return g.TaskAccepted(task_id=self.task_of(department).task_id, case_id="c1", department_id=department,
                              accepted_at=NOW)

    def completed(self, department: str, kind: str = "case") -> g.TaskCompleted:
        return g.TaskCompleted(task_id=self.task_of(department, kind).task_id, case_id="c1", department_id=department,
                               resolution="shed removed", completed_at=NOW)
