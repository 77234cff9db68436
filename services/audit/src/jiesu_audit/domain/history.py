"""One case's history folded from its events: who held it when, and the intervals that matter.

Pure: `CaseHistory.apply(envelope)` for each event in log order. Every catalogued type either shapes
the history (`SHAPING`) or is about no single case (`NOT_ABOUT_A_CASE`); a type the catalogue does not
know is ignored here (it stays on the timeline). Times are the facts the events state (`accepted_at`, `returned_at`, …),
falling back to the envelope's time for events that carry none (offers, dispatch, reopening).
"""
from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jiesu_shared.catalogue import dispatch as decided
from jiesu_shared.catalogue import gateway as answered
from jiesu_shared.catalogue import intake as received
from jiesu_shared.events import Envelope

from jiesu_audit.domain import signals
from jiesu_audit.domain.appliers import by_type_name
from jiesu_audit.domain.parts import Callback, Escalation, Mark, MeetingTask, Offer, Whistle
from jiesu_audit.domain.times import parse_time


# The length of a key in `CaseHistory.event_keys`: 8 bytes tell a case's own events apart (two of a case's
# thousand events sharing one: about 1 in 3.7e13), half the size of a UUID.
KEY_BYTES = 8


@dataclass(slots=True)  # one per case is held in memory: slots halve it
class CaseHistory:
    case_id: str
    received_at: datetime | None = None
    category: str | None = None
    place: dict[str, Any] = field(default_factory=dict)
    channel: str | None = None
    dispatched_at: datetime | None = None
    offers: dict[str, Offer] = field(default_factory=dict)
    handled_at: datetime | None = None
    callbacks: list[Callback] = field(default_factory=list)
    closed_at: datetime | None = None
    reopened_at: list[datetime] = field(default_factory=list)
    whistles: dict[str, Whistle] = field(default_factory=dict)
    meeting_tasks: dict[str, MeetingTask] = field(default_factory=dict)
    flying_seconds: float = 0.0
    flying_since: datetime | None = None  # no department owns the open case since then
    escalations: list[Escalation] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    revision: int = 0  # how often audit has stored this history (its read model checks it before writing)
    _owners: set[str] = field(default_factory=set)
    _open: bool = False
    # While a fresh catch-up dedupes by case: a key of each event folded in (`seen`/`saw`), `KEY_BYTES` each.
    # Last, so a history stored before it was kept loads with none; not compared (the fold's result is the same).
    event_keys: bytes = field(default=b"", compare=False)

    def seen(self, key: bytes) -> bool:
        """Whether an event of this key was folded in (the keys are one after another)."""
        keys, at = self.event_keys, self.event_keys.find(key)
        while at > 0 and at % KEY_BYTES:  # a match straddling two keys is no match
            at = keys.find(key, at + 1)
        return at >= 0

    def saw(self, key: bytes) -> None:
        self.event_keys += key

    def apply(self, envelope: Envelope) -> None:
        self.apply_fields(envelope.type, envelope.data, envelope.time)

    def apply_fields(self, event_type: str, data: dict[str, Any], at: datetime) -> None:
        """`apply` from an event's type, data and time (a bulk fold has them at hand, no envelope)."""
        apply = _APPLIERS.get(event_type)
        if apply is not None:
            apply(self, data, at)

    # ownership: a department owns the case from accepting its lead task until returning it
    def _start_flying(self, at: datetime) -> None:
        if self._open and not self._owners and self.flying_since is None:
            self.flying_since = at

    def _stop_flying(self, at: datetime) -> None:
        if self.flying_since is not None:
            self.flying_seconds += max(0.0, (at - self.flying_since).total_seconds())
            self.flying_since = None

    def lead_offers(self) -> list[Offer]:
        return [o for o in self.offers.values() if o.is_lead_case_task()]

    def current_lead(self) -> str | None:
        owners = [o for o in self.lead_offers() if o.task_id in self._owners]
        return owners[-1].department if owners else None


def _word(value: Any) -> Any:
    """A name from a small vocabulary (department, category, outcome…), shared by every history that
    uses it instead of one copy per event: a rebuild holds a history for every case."""
    return sys.intern(value) if type(value) is str else value


def _t(data: dict[str, Any], name: str, fallback: datetime) -> datetime:
    return parse_time(data.get(name)) or fallback


def _received(h: CaseHistory, d: dict[str, Any], at: datetime) -> None:
    h.received_at = _t(d, "received_at", at)
    h.category, h.channel = _word(d.get("category")), _word(d.get("channel"))
    h.place = {_word(k): _word(v) for k, v in (d.get("place") or {}).items()}
    h._open = True
    h._start_flying(h.received_at)


def _reclassified(h: CaseHistory, d: dict[str, Any], _at: datetime) -> None:
    h.category = _word(d.get("category")) or h.category


def _dispatched(h: CaseHistory, d: dict[str, Any], at: datetime) -> None:
    h.dispatched_at = h.dispatched_at or at
    signals.ruled(h, d, at)


def _offered(h: CaseHistory, d: dict[str, Any], at: datetime) -> None:
    h.offers[d["task_id"]] = Offer(
        task_id=d["task_id"], department=_word(d.get("department_id", "?")), role=_word(d.get("role", "lead")),
        kind=_word(d.get("kind") or "case"), offered_at=at, respond_by=parse_time(d.get("respond_by")),
        resolve_by=parse_time(d.get("resolve_by")), whistle_id=d.get("whistle_id"),
        meeting_id=d.get("meeting_id"))


def _offer(h: CaseHistory, d: dict[str, Any]) -> Offer | None:
    return h.offers.get(d.get("task_id", ""))


def _accepted(h: CaseHistory, d: dict[str, Any], at: datetime) -> None:
    if (offer := _offer(h, d)) is None:
        return
    offer.accepted_at = _t(d, "accepted_at", at)
    if offer.is_lead_case_task():
        h._stop_flying(offer.accepted_at)
        h._owners.add(offer.task_id)


def _let_go(h: CaseHistory, offer: Offer, at: datetime) -> None:
    if offer.task_id in h._owners:
        h._owners.discard(offer.task_id)
        h._start_flying(at)


def _returned(h: CaseHistory, d: dict[str, Any], at: datetime) -> None:
    if (offer := _offer(h, d)) is None:
        return
    offer.returned_at = _t(d, "returned_at", at)
    offer.return_reason, offer.suggested_department = _word(d.get("reason")), _word(d.get("suggested_department"))
    _let_go(h, offer, offer.returned_at)


def _cancelled(h: CaseHistory, d: dict[str, Any], at: datetime) -> None:
    if (offer := _offer(h, d)) is not None:
        offer.cancelled_at = at
        _let_go(h, offer, at)


def _responded(h: CaseHistory, d: dict[str, Any], at: datetime) -> None:
    if (offer := _offer(h, d)) is not None and offer.responded_at is None:
        offer.responded_at = _t(d, "responded_at", at)


def _completed(h: CaseHistory, d: dict[str, Any], at: datetime) -> None:
    if (offer := _offer(h, d)) is not None:
        offer.completed_at = _t(d, "completed_at", at)
    if (task := h.meeting_tasks.get(d.get("task_id", ""))) is not None:
        task.completed_at = _t(d, "completed_at", at)


def _reported_in(h: CaseHistory, d: dict[str, Any], at: datetime) -> None:
    when = _t(d, "reported_at", at)
    if (offer := _offer(h, d)) is not None:
        offer.reported_in_at = when
    if (whistle := h.whistles.get(d.get("whistle_id", ""))) is not None:
        whistle.reported_in.setdefault(d.get("department_id", "?"), when)


def _breached(h: CaseHistory, d: dict[str, Any], _at: datetime) -> None:
    if (offer := _offer(h, d)) is not None:
        offer.breaches.append(_word(d.get("clock", "?")))


def _handled(h: CaseHistory, d: dict[str, Any], at: datetime) -> None:
    h.handled_at = _t(d, "handled_at", at)
    h._stop_flying(h.handled_at)
    h._open = False


def _callback(h: CaseHistory, d: dict[str, Any], at: datetime) -> None:
    h.callbacks.append(Callback(recorded_at=_t(d, "recorded_at", at), outcome=_word(d.get("outcome", "?")),
                                satisfaction=_word(d.get("satisfaction")),
                                unresolvable_reason=_word(d.get("unresolvable_reason")),
                                lead_department=h.current_lead(), handled_at=h.handled_at))


def _reopened(h: CaseHistory, _d: dict[str, Any], at: datetime) -> None:
    h.reopened_at.append(at)
    h._owners.clear()  # the earlier handling is over: the case waits for a department again
    h._open = True
    h._start_flying(at)


def _closed(h: CaseHistory, d: dict[str, Any], at: datetime) -> None:
    h.closed_at = _t(d, "closed_at", at)
    h._stop_flying(h.closed_at)
    h._open = False


def _withdrawn(h: CaseHistory, _d: dict[str, Any], at: datetime) -> None:
    h._stop_flying(at)
    h._open = False


def _whistle(h: CaseHistory, d: dict[str, Any], at: datetime) -> None:
    h.whistles[d["whistle_id"]] = Whistle(
        whistle_id=d["whistle_id"], street_office=_word(d.get("street_office", "?")), blown_at=at,
        report_in_by=parse_time(d.get("report_in_by")), summoned=[_word(n) for n in d.get("summoned") or []])


def _no_show(h: CaseHistory, d: dict[str, Any], _at: datetime) -> None:
    if (whistle := h.whistles.get(d.get("whistle_id", ""))) is not None:
        whistle.no_shows.append(d.get("department_id", "?"))


def _decision(h: CaseHistory, d: dict[str, Any], at: datetime) -> None:
    h.meeting_tasks[d["task_id"]] = MeetingTask(
        task_id=d["task_id"], meeting_id=d.get("meeting_id", "?"), owner=d.get("owner_department", "?"),
        deadline=parse_time(d.get("deadline")), recorded_at=at)


# Keyed by the catalogue's classes, so a type renamed there fails here at import; older versions the
# catalogue upcasts (task.rejected.v1) are folded as the version they became.
_APPLIERS = by_type_name({
    received.CaseReceived: _received, received.CaseReclassified: _reclassified,
    decided.CaseDispatched: _dispatched, decided.TaskOffered: _offered, answered.TaskAccepted: _accepted,
    answered.TaskReturned: _returned, decided.TaskCancelled: _cancelled, answered.TaskResponded: _responded,
    answered.TaskCompleted: _completed, answered.TaskReportedIn: _reported_in, decided.SlaBreached: _breached,
    decided.CaseHandled: _handled, received.CallbackRecorded: _callback, received.CaseReopened: _reopened,
    received.CaseClosed: _closed, received.CaseWithdrawn: _withdrawn, decided.WhistleBlown: _whistle,
    decided.WhistleNoShow: _no_show, decided.MeetingDecisionRecorded: _decision, **signals.SIGNAL_APPLIERS,
})
# Catalogued types that are about no single case: the directory, the routing rules, a meeting's own
# convening and adjournment (its decisions, which name a case, are folded above).
NOT_ABOUT_A_CASE = frozenset(by_type_name({decided.DepartmentRegistered: None, decided.RoutingRulesPublished: None,
                                           decided.MeetingConvened: None, decided.MeetingAdjourned: None}))
SHAPING = frozenset(_APPLIERS)


def case_of(event_type: str, subject: str, data: dict[str, Any]) -> str | None:
    """The case an event is about: its `case_id`, else its subject unless the event names other cases
    (a meeting's own events have the meeting as subject) or is about the directory or the routing rules;
    None for events about no single case."""
    case_id = data.get("case_id")
    if isinstance(case_id, str) and case_id:
        return case_id
    if "case_ids" in data or event_type.startswith(("directory.", "routing.", "meeting.")):
        return None
    return subject


def case_id_of(envelope: Envelope) -> str | None:
    return case_of(envelope.type, envelope.subject, envelope.data)


def fold_into(histories: dict[str, CaseHistory], envelope: Envelope) -> None:
    """Apply one event, in log order, to the history of the case it is about (if any)."""
    case_id = case_id_of(envelope)
    if case_id is None:
        return
    history = histories.get(case_id)
    if history is None:  # not setdefault: that would build a history for every event
        history = histories[case_id] = CaseHistory(case_id)
    history.apply(envelope)


def fold(envelopes: Iterable[Envelope]) -> dict[str, CaseHistory]:
    """Every case's history from events in log order (events about no single case are skipped)."""
    histories: dict[str, CaseHistory] = {}
    for envelope in envelopes:
        fold_into(histories, envelope)
    return histories
