"""Every case's timeline: each event of the log, in log order, kept from the live log (or a replay from 0).
Written in bulk by the read-model projector (`readmodel/projector.py`), which also dedupes by event id."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, Session, SQLModel, col, select


class TimelineEntry(SQLModel, table=True):
    __tablename__ = "timeline"
    # Each event once. A unique index rather than a constraint, so that a catch-up into an empty read model
    # can build it at its end (see readmodel/bulk_load.py); a timeline made with the constraint keeps it.
    __table_args__ = (Index("uq_timeline_event", "event_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(index=True, max_length=64)
    event_id: str = Field(max_length=64)
    type: str = Field(max_length=100)
    source: str = Field(max_length=200)
    sequence: int
    time: datetime
    correlation_id: str = Field(max_length=64)
    causation_id: str | None = Field(default=None, max_length=64)
    traceparent: str | None = Field(default=None, max_length=100)
    data: str = Field(sa_column=Column(Text, nullable=False))


def timeline_of(session: Session, case_id: str) -> list[TimelineEntry]:
    # One case's events share one partition, so the order of arrival here is the log's order.
    return list(session.exec(select(TimelineEntry).where(TimelineEntry.case_id == case_id)
                             .order_by(col(TimelineEntry.id))).all())
