"""How each event of one case reads in the process-mining exports, decided with the case's events in hand.

- The **lead line** of a case is its own events and those of its lead tasks; supporting tasks, whistle
  report-ins, meeting tasks and whistles are other lines of work running beside it. XES (one trace per
  case) holds the lead line only, so that a direct succession of departments there is a hand-over of the
  case — a return (退单) or a re-dispatch — and never two departments merely working at the same time.
  The other lines are in the OCEL export, where several objects per event is the model.
- `org:resource` is the **acting department**: the department an event names (the one re-routed *to*, the
  lead dispatched to); intake's events act for the hotline centre; an event naming no department (an
  escalation) stays with the department that had the case. Who acted — the person the event names, the
  department when its own staff or API acted, else the producing service — is `jiesu:actor` (`domain/actors.py`).
- A lead task's work is one activity, `task.work`, started on acceptance and completed on completion
  (XES lifecycle, `concept:instance` = the task), at the times the events state, as audit reads them.
- Dispatches and offers carry the routing-rules version: the rule's own prefix ("<version>/<rule>") when
  it has one, else the version of `routing.rules_published` in force at that time. Dispatches and offers
  written since dispatch stamps it carry the SLA-policy version too (`sla_policy_version`, an event attribute
  as written: no event publishes a policy, so older events have none); offers carry the deadlines the policy
  gave (`decide_by`, `respond_by`, `resolve_by`).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jiesu_audit.domain.actors import actor_from, department_from
from jiesu_audit.replay.objects import event_attributes

HOTLINE = "12345-hotline-centre"
WORK = "task.work"
_OTHER_LINES = ("whistle.", "meeting.")
# intake's events: the hotline centre acts (receives, classifies, calls back, reopens, closes)
_HOTLINE_ACTS = frozenset({"case.received.v1", "case.reclassified.v1", "case.linked_as_duplicate.v1",
                           "case.callback_due.v1", "case.callback_recorded.v1", "case.reopened.v1",
                           "case.withdrawn.v1", "case.closed.v1"})


@dataclass(slots=True)
class Reading:
    doc: dict[str, Any]
    in_lead_line: bool
    resource: str
    actor: str
    activity: str
    transition: str = "complete"
    instance: str | None = None
    time: str = ""
    routing_version: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)  # `event_attributes`: found once for XES and OCEL


class RulesInForce:
    """The routing tables published in the log, by time: which version was in force at a moment. Times are
    compared as moments, not as text: the same instant written with another offset or precision (`Z` or
    `+08:00`, with or without fractions of a second) orders where it belongs."""

    def __init__(self) -> None:
        self._times: list[datetime] = []
        self._versions: list[str] = []

    def add(self, time: str, version: str) -> None:
        moment = _moment(time)
        at = bisect.bisect_right(self._times, moment)
        self._times.insert(at, moment)
        self._versions.insert(at, version)

    def at(self, time: str) -> str | None:
        if not self._times:  # no table published: nothing to parse
            return None
        at = bisect.bisect_right(self._times, _moment(time))
        return self._versions[at - 1] if at else None


def _moment(time: str) -> datetime:
    """An event's time as an aware moment (one written without an offset is UTC, as the log's are)."""
    try:
        moment = datetime.fromisoformat(time)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"an event time that is no ISO 8601 moment: {time!r}") from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def read_case(docs: list[dict[str, Any]], rules: RulesInForce) -> list[Reading]:
    """Each event of one case (in log order) as the exports read it."""
    lead_tasks = {d["data"]["task_id"] for d in docs if d["type"] == "task.offered.v1"
                  and d["data"].get("role", "lead") == "lead" and d["data"].get("kind", "case") == "case"}
    readings, holder, version = [], None, None
    for doc in docs:
        reading = _read(doc, lead_tasks, holder)
        if reading.in_lead_line:
            holder = reading.resource
        if doc["type"] in ("case.dispatched.v1", "task.offered.v1", "case.rerouted.v1"):
            version = _rules_version(doc, rules) or version
            reading.routing_version = version
        readings.append(reading)
    return readings


def _read(doc: dict[str, Any], lead_tasks: set[str], holder: str | None) -> Reading:
    kind, data, source = doc["type"], doc["data"], doc["source"]
    get = data.get
    task = get("task_id")
    in_lead = not kind.startswith(_OTHER_LINES) and (task.__class__ is not str or task in lead_tasks)
    department = department_from(get)  # once, for the acting department and the actor
    reading = Reading(doc, in_lead, _acting(kind, source, get, department, holder),
                      actor_from(kind, source, get, department), kind.rsplit(".", 1)[0], time=doc["time"],
                      attributes=event_attributes(data))
    if in_lead and task.__class__ is str and kind in ("task.accepted.v1", "task.completed.v1"):
        started = kind == "task.accepted.v1"
        reading.activity, reading.instance = WORK, task
        reading.transition = "start" if started else "complete"
        stated = get("accepted_at" if started else "completed_at")
        reading.time = stated if stated.__class__ is str else doc["time"]
    return reading


def _acting(kind: str, source: str, get, department: str | None, holder: str | None) -> str:
    """The acting department, from the data's `get` and the department it names (`department_of`)."""
    if kind in _HOTLINE_ACTS:
        return HOTLINE
    named = get("to_department") if kind == "case.rerouted.v1" else department
    if named.__class__ is str and named:
        return named
    return holder or source.rsplit("/", 1)[-1]


def _rules_version(doc: dict[str, Any], rules: RulesInForce) -> str | None:
    rule = doc["data"].get("rule")
    if isinstance(rule, str) and "/" in rule:
        return rule.split("/", 1)[0]
    return rules.at(doc["time"])
