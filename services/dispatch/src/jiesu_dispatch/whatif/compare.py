"""The what-if itself: each routing decision of the period made again by dispatch's own routing code under
another table, and what would have changed.

- An offer goes elsewhere when the new table names another lead, or adds or drops a supporting department.
- A return (退单) is avoided when its reason was "not our remit" and the department that owned the case in
  the end is the one the new table names first (its lead) for the case's subject and place.
- The load that moves is, per department, the lead and supporting offers of the period's rule decisions
  before and after (returns' re-routes are not re-imagined: who would return what under the new table is
  not in the log).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from jiesu_dispatch.domain.routing import RoutingTable
from jiesu_dispatch.whatif.history import CaseHistory, Decision

NOT_OUR_REMIT = "not_our_remit"
DEPARTMENT_COUNTS = ("lead_offers_before", "lead_offers_after", "lead_moved_out", "lead_moved_in",
                     "supporting_before", "supporting_after", "returns_not_our_remit", "returns_avoided")
STREET_COUNTS = ("cases", "decisions", "lead_moved", "supporting_changed", "returns_not_our_remit",
                 "returns_avoided")


@dataclass
class WhatIf:
    table: RoutingTable
    cases: int = 0
    decisions: int = 0
    rules_in_force: Counter = field(default_factory=Counter)
    departments: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    streets: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    flows: Counter = field(default_factory=Counter)  # (role, from, to) -> offers
    avoided: list[dict] = field(default_factory=list)  # type: ignore[type-arg]

    def add(self, case: CaseHistory) -> None:
        self.cases += 1
        self.streets[case.street]["cases"] += 1
        for decision in case.decisions:
            self._decision(case, decision)
        for r in case.returns:
            if r.reason != NOT_OUR_REMIT:
                continue
            self.departments[r.department]["returns_not_our_remit"] += 1
            self.streets[case.street]["returns_not_our_remit"] += 1
            first = self.table.route(r.category, case.place).lead
            if case.owner and case.owner != r.department and first == case.owner:
                self.departments[r.department]["returns_avoided"] += 1
                self.streets[case.street]["returns_avoided"] += 1
                self.avoided.append({"case_id": case.case_id, "task_id": r.task_id, "returned_by": r.department,
                                     "eventual_owner": case.owner, "category": r.category, "street": case.street,
                                     "returned_at": r.returned_at.isoformat()})

    def _decision(self, case: CaseHistory, before: Decision) -> None:
        self.decisions += 1
        self.rules_in_force[before.rule.rsplit("/", 1)[0]] += 1
        street = self.streets[case.street]
        street["decisions"] += 1
        route = self.table.route(before.category, case.place)
        after_supporting = tuple(s for s in dict.fromkeys(route.supporting) if s != route.lead)  # as dispatch_to
        self.departments[before.lead]["lead_offers_before"] += 1
        self.departments[route.lead]["lead_offers_after"] += 1
        if route.lead != before.lead:
            self.departments[before.lead]["lead_moved_out"] += 1
            self.departments[route.lead]["lead_moved_in"] += 1
            self.flows[("lead", before.lead, route.lead)] += 1
            street["lead_moved"] += 1
        for department in before.supporting:
            self.departments[department]["supporting_before"] += 1
        for department in after_supporting:
            self.departments[department]["supporting_after"] += 1
        dropped, added = set(before.supporting) - set(after_supporting), set(after_supporting) - set(before.supporting)
        for department in sorted(dropped):
            self.flows[("supporting", department, None)] += 1
        for department in sorted(added):
            self.flows[("supporting", None, department)] += 1
        if dropped or added:
            street["supporting_changed"] += 1

    def report(self) -> dict:  # type: ignore[type-arg]
        return {
            "routing_version": self.table.version, "cases": self.cases, "rule_decisions": self.decisions,
            "rules_in_force": dict(sorted(self.rules_in_force.items())),
            "departments": [{"department": d, **{k: c[k] for k in DEPARTMENT_COUNTS}}
                            for d, c in sorted(self.departments.items())],
            "streets": [{"street": s, **{k: c[k] for k in STREET_COUNTS}} for s, c in sorted(self.streets.items())],
            "offers_moved": [{"role": role, "from": a, "to": b, "offers": n}
                             for (role, a, b), n in sorted(self.flows.items(), key=lambda kv: (-kv[1], str(kv[0])))],
            "returns_avoided": sorted(self.avoided, key=lambda r: (r["returned_at"], r["task_id"])),
        }


def what_if(cases: Iterable[CaseHistory], table: RoutingTable) -> dict:  # type: ignore[type-arg]
    result = WhatIf(table)
    for case in cases:
        result.add(case)
    return result.report()
