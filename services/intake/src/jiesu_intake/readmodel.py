"""Intake's read model of its cases: one row per case, kept in step with every append (same transaction).

It answers what a stream cannot: the call-back queue, Open311's filtered lists and the search for an
earlier case about the same subject at the same place. It holds the logged (redacted) text only, never
personal data, and can be rebuilt from the event store at any time.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Index, Column, Text, delete
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
    address: str | None = Field(default=None, max_length=256)
    latitude: float | None = None
    longitude: float | None = None
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
        place = event.place
        session.add(CaseRow(case_id=event.case_id, status="received", channel=event.channel,
                            category=event.category, request_type=event.request_type, urgency=event.urgency,
                            text=event.text, district=place.district, street=place.street,
                            community=place.community, grid=place.grid, address=place.address, latitude=place.latitude,
                            longitude=place.longitude, citizen_id=event.contact.citizen_id if event.contact else None,
                            received_at=event.received_at, updated_at=at))
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


def rebuild(session: Session) -> int:
    """Drop the read model and fold it again from intake's own events; returns the number of events."""
    session.exec(delete(CaseRow))  # type: ignore[call-overload]
    rows = session.exec(select(StoredEvent).where(col(StoredEvent.stream_id).startswith("case-"))
                        .order_by(col(StoredEvent.position))).all()
    project(session, (Envelope.model_validate_json(r.envelope) for r in rows))
    return len(rows)


def earlier_case(session: Session, *, category: str, district: str, street: str, community: str | None,
                 received_at: datetime, window: timedelta) -> EarlierCase | None:
    """The first open case on the same subject at the same place (community, or street without one)."""
    if category == UNCLASSIFIED:
        return None  # "about the same subject" is unknown until a person triages it
    query = select(CaseRow).where(
        CaseRow.category == category, CaseRow.district == district, CaseRow.street == street,
        CaseRow.community == community if community else col(CaseRow.community).is_(None),
        col(CaseRow.status).not_in(FINISHED), CaseRow.received_at >= received_at - window,
        col(CaseRow.duplicate_of).is_(None),
    ).order_by(col(CaseRow.received_at)).limit(1)
    row = session.exec(query).first()
    if row is None:
        return None
    where = community or street
    hours = int(window.total_seconds() // 3600)
    return EarlierCase(case_id=row.case_id, reason=f"same subject {category} at {where} within {hours}h")


def callback_queue(session: Session, limit: int = 200) -> list[CaseRow]:
    query = select(CaseRow).where(CaseRow.status == "awaiting_callback").order_by(col(CaseRow.handled_at)).limit(limit)
    return list(session.exec(query).all())
