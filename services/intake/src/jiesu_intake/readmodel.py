"""Intake's read model of its cases: one row per case, kept in step with every append (same transaction).

It answers what a stream cannot: the call-back queue, Open311's filtered lists and the search for an
earlier case about the same subject at the same place. It holds the logged (redacted) text and the generalised place
(district/street/community/grid) only, never personal data nor the exact address or coordinates (those are
sealed with the citizen's key), and can be rebuilt from the event store at any time.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Column, Index, Select, Text, bindparam, delete, insert
from sqlmodel import Field, Session, SQLModel, col, select

from jiesu_shared.catalogue import parse_payload
from jiesu_shared.catalogue.intake import (CallbackDue, CallbackRecorded, CaseClosed, CaseLinkedAsDuplicate,
                                           CaseReceived, CaseReclassified, CaseReopened, CaseWithdrawn)
from jiesu_shared.events import Envelope
from jiesu_shared.store.tables import StoredEvent

from jiesu_intake.domain.case import FINISHED, UNCLASSIFIED, EarlierCase


class CaseRow(SQLModel, table=True):
    __tablename__ = "intake_cases"
    # The duplicate lookup's shape: one seek to the earliest case on a subject at a place, not a scan
    # of every case on the subject.
    __table_args__ = (Index("ix_intake_cases_same_problem", "category", "district", "street", "community",
                            "received_at"),)

    case_id: str = Field(primary_key=True, max_length=64)
    status: str = Field(index=True, max_length=32)
    channel: str = Field(max_length=32)
    category: str = Field(index=True, max_length=64)
    request_type: str | None = Field(default=None, max_length=32)
    urgency: str = Field(default="normal", max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))  # as logged: personal data replaced
    district: str = Field(max_length=64)
    street: str = Field(max_length=64)
    community: str | None = Field(default=None, max_length=64)
    grid: str | None = Field(default=None, max_length=64)
    citizen_id: str | None = Field(default=None, index=True, max_length=64)
    received_at: datetime = Field(index=True)
    updated_at: datetime
    duplicate_of: str | None = Field(default=None, max_length=64)
    lead_department: str | None = Field(default=None, max_length=128)
    resolution: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    handled_at: datetime | None = None
    outcome: str | None = Field(default=None, max_length=32)
    satisfaction: str | None = Field(default=None, max_length=32)
    reopen_count: int = 0


def project(session: Session, envelopes: Iterable[Envelope]) -> None:
    for envelope in envelopes:
        _apply(session, parse_payload(envelope.type, envelope.data), envelope.time)
    session.flush()


def _apply(session: Session, event: object, at: datetime) -> None:
    if isinstance(event, CaseReceived):
        session.add(CaseRow(**_received_columns(event, at)))
        return
    row = session.get(CaseRow, getattr(event, "case_id", None))
    if row is None:
        return
    row.updated_at = at
    if isinstance(event, CaseLinkedAsDuplicate):
        row.duplicate_of = event.duplicate_of
    elif isinstance(event, CaseReclassified):
        row.category, row.request_type, row.urgency = event.category, event.request_type, event.urgency
    elif isinstance(event, CallbackDue):
        row.status, row.lead_department = "awaiting_callback", event.lead_department
        row.resolution, row.handled_at = event.resolution, event.handled_at
    elif isinstance(event, CallbackRecorded):
        row.status, row.outcome, row.satisfaction = "called_back", event.outcome, event.satisfaction
    elif isinstance(event, CaseReopened):
        row.status, row.reopen_count = "reopened", event.reopen_count
    elif isinstance(event, CaseWithdrawn):
        row.status = "withdrawn"
    elif isinstance(event, CaseClosed) and row.status != "withdrawn":
        row.status = "closed"
    session.add(row)


def _received_columns(event: CaseReceived, at: datetime) -> dict[str, Any]:
    place = event.place
    return {"case_id": event.case_id, "status": "received", "channel": event.channel, "category": event.category,
            "request_type": event.request_type, "urgency": event.urgency, "text": event.text,
            "district": place.district, "street": place.street, "community": place.community, "grid": place.grid,
            "citizen_id": event.contact.citizen_id if event.contact else None, "received_at": event.received_at,
            "updated_at": at, "duplicate_of": None, "lead_department": None, "resolution": None,
            "handled_at": None, "outcome": None, "satisfaction": None, "reopen_count": 0}


def new_case_row(events: Sequence[tuple[BaseModel, datetime]]) -> dict[str, Any]:
    """The row `project` makes of a new case's first events (received, maybe linked), with every column,
    for `insert_new_cases`."""
    (received, at), *rest = events
    assert isinstance(received, CaseReceived)
    row = _received_columns(received, at)
    for event, at in rest:
        assert isinstance(event, CaseLinkedAsDuplicate), f"not a new case's event: {event!r}"
        row["duplicate_of"], row["updated_at"] = event.duplicate_of, at
    return row


def insert_new_cases(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """New cases' rows in one statement (Core: the ORM's unit of work costs more than the insert)."""
    if rows:
        session.connection().execute(_INSERT, list(rows))


def rebuild(session: Session) -> int:
    """Drop the read model and fold it again from intake's own events; returns the number of events."""
    session.exec(delete(CaseRow))  # type: ignore[call-overload]
    rows = session.exec(select(StoredEvent).where(col(StoredEvent.stream_id).startswith("case-"))
                        .order_by(col(StoredEvent.position))).all()
    project(session, (Envelope.model_validate_json(r.envelope) for r in rows))
    return len(rows)


def _same_problem(*, in_community: bool) -> Select:
    """The duplicate lookup, built once: only its parameters change per case."""
    c = CaseRow.__table__.c  # type: ignore[attr-defined]
    return (select(c.case_id)
            .where(c.category == bindparam("category"), c.district == bindparam("district"),
                   c.street == bindparam("street"),
                   c.community == bindparam("community") if in_community else c.community.is_(None),
                   *(c.status != finished for finished in FINISHED), c.received_at >= bindparam("since"),
                   c.duplicate_of.is_(None))
            .order_by(c.received_at).limit(1))


_INSERT = insert(CaseRow.__table__)  # type: ignore[arg-type]
_SAME_PROBLEM_IN_COMMUNITY = _same_problem(in_community=True)
_SAME_PROBLEM_ON_STREET = _same_problem(in_community=False)


def earlier_case(session: Session, *, category: str, district: str, street: str, community: str | None,
                 received_at: datetime, window: timedelta) -> EarlierCase | None:
    """The first open case on the same subject at the same place (community, or street without one)."""
    if category == UNCLASSIFIED:
        return None  # "about the same subject" is unknown until a person triages it
    query = _SAME_PROBLEM_IN_COMMUNITY if community else _SAME_PROBLEM_ON_STREET
    case_id = session.connection().execute(query, {"category": category, "district": district, "street": street,
                                                   "community": community, "since": received_at - window}).scalar()
    return None if case_id is None else same_problem(case_id, category, community or street, window)


def same_problem(case_id: str, category: str, where: str, window: timedelta) -> EarlierCase:
    hours = int(window.total_seconds() // 3600)
    return EarlierCase(case_id=case_id, reason=f"same subject {category} at {where} within {hours}h")


def callback_queue(session: Session, limit: int = 200) -> list[CaseRow]:
    query = select(CaseRow).where(CaseRow.status == "awaiting_callback").order_by(col(CaseRow.handled_at)).limit(limit)
    return list(session.exec(query).all())


def unclassified_queue(session: Session, limit: int = 200) -> list[CaseRow]:
    query = (select(CaseRow).where(CaseRow.category == UNCLASSIFIED, col(CaseRow.status).not_in(FINISHED))
             .order_by(col(CaseRow.received_at)).limit(limit))
    return list(session.exec(query).all())
