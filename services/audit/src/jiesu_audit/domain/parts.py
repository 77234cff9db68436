"""The parts of a case's history: each offer made, each call-back verdict, each whistle and meeting task,
each escalation, SLA warning and counted event."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from jiesu_audit.domain.times import seconds_between


@dataclass(slots=True)
class Offer:
    task_id: str
    department: str
    role: str
    kind: str
    offered_at: datetime
    respond_by: datetime | None = None
    resolve_by: datetime | None = None
    whistle_id: str | None = None
    meeting_id: str | None = None
    accepted_at: datetime | None = None
    returned_at: datetime | None = None
    return_reason: str | None = None
    suggested_department: str | None = None
    cancelled_at: datetime | None = None
    responded_at: datetime | None = None
    completed_at: datetime | None = None
    reported_in_at: datetime | None = None
    breaches: list[str] = field(default_factory=list)
    notified_at: datetime | None = None  # the department's webhook acknowledged the offer
    notify_attempts: int | None = None
    notification_failures: int = 0
    warnings: list = field(default_factory=list)  # Warning, in order

    def act_time(self, clock: str) -> datetime | None:
        """When the act a clock waits for was done: deciding, first contact, completion, reporting in."""
        return {"decide": self.accepted_at or self.returned_at, "respond": self.responded_at,
                "resolve": self.completed_at, "report_in": self.reported_in_at}.get(clock)

    @property
    def outcome(self) -> str:
        """returned (退单), completed, cancelled (withdrawn by dispatch, even after acceptance), accepted or open."""
        if self.returned_at:
            return "returned"
        if self.completed_at:
            return "completed"
        if self.cancelled_at:
            return "cancelled"
        return "accepted" if self.accepted_at else "open"

    @property
    def was_accepted(self) -> bool:
        return self.accepted_at is not None and self.returned_at is None

    @property
    def decided_after(self) -> float | None:
        return seconds_between(self.offered_at, self.accepted_at or self.returned_at)

    @property
    def responded_after(self) -> float | None:
        return seconds_between(self.accepted_at, self.responded_at)

    @property
    def completed_after(self) -> float | None:
        return seconds_between(self.accepted_at, self.completed_at)

    def is_lead_case_task(self) -> bool:
        return self.role == "lead" and self.kind == "case"


@dataclass(slots=True)
class Callback:
    recorded_at: datetime
    outcome: str
    satisfaction: str | None
    unresolvable_reason: str | None
    lead_department: str | None  # the department that held the case when it was handled
    handled_at: datetime | None  # the hand-over to call-back this verdict answers


@dataclass(slots=True)
class Whistle:
    whistle_id: str
    street_office: str
    blown_at: datetime
    report_in_by: datetime | None
    summoned: list[str]
    reported_in: dict[str, datetime] = field(default_factory=dict)
    no_shows: list[str] = field(default_factory=list)


@dataclass(slots=True)
class MeetingTask:
    task_id: str
    meeting_id: str
    owner: str
    deadline: datetime | None
    recorded_at: datetime
    completed_at: datetime | None = None


@dataclass(slots=True)
class Escalation:
    """A case put to the coordinators (case.escalated) and the ruling (审定) that answered it, if any."""
    escalated_at: datetime
    ruled_at: datetime | None = None
    coordinator: str | None = None


@dataclass(slots=True)
class Mark:
    """An event counted as it is: a duplicate linked, a call-back falling due, a reroute, a progress report,
    a late report-in."""
    kind: str
    at: datetime
    department: str | None


@dataclass(slots=True)
class Warning:
    """An SLA warning on a task's clock, before its deadline."""
    clock: str
    warned_at: datetime
    deadline: datetime | None
    # set when dispatch decided the warning late, after the clock had stopped: the warning's moment came
    # before that stop (else none would be owed), though the event's own time is after it
    clock_stopped_at: datetime | None = None

    def heeded_by(self, act: datetime | None) -> bool:
        """The act the clock waits for came after the warning and by the deadline."""
        after_warning = act is not None and (act > self.warned_at or self.clock_stopped_at is not None)
        return after_warning and (self.deadline is None or act <= self.deadline)  # type: ignore[operator]
