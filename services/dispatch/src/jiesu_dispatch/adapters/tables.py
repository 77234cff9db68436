"""Dispatch's own tables, besides the kernel's event store and outbox."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Index, Text, TypeDecorator, text
from sqlmodel import Field, SQLModel


def utc(value: datetime) -> datetime:
    """SQLite hands datetimes back without a zone; everything dispatch stores is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A moment stored in UTC and always read back with its offset, on SQLite too (which drops it):
    what the HTTP API renders from it then says which time zone it means."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else utc(value)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else utc(value)


class LedgerRow(SQLModel, table=True):
    """Everything a decision about one stream (a case, a meeting, the directory) rests on, in order:
    the facts dispatch consumed from intake and the gateway, and the events it appended itself."""

    __tablename__ = "dispatch_ledger"

    stream_id: str = Field(primary_key=True, max_length=200)
    n: int = Field(primary_key=True)
    type: str = Field(max_length=100)
    data: str = Field(sa_column=Column(Text, nullable=False))
    own: bool  # appended by dispatch to the event store under this stream
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


UNFIRED_BY_DUE_TIME = "ix_dispatch_timers_unfired_due"
RETIRED_INDEXES = ("ix_dispatch_timers_due_at",)  # every timer by due time, fired or not: replaced by the one above


class TimerRow(SQLModel, table=True):
    """A durable SLA timer; `fired_at` is set in the same transaction as the events it produced."""

    __tablename__ = "dispatch_timers"

    timer_id: str = Field(primary_key=True, max_length=200)
    case_id: str = Field(index=True, max_length=64)
    task_id: str = Field(max_length=64)
    department_id: str = Field(max_length=100)
    clock: str = Field(max_length=20)
    phase: str = Field(max_length=20)
    due_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    deadline: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    fired_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    fired_events: int | None = None  # how many events firing produced (0: the clock had stopped)

    # The unfired timers only, by when due: every timer is fired in the end, so an index of all of them would
    # make each look for the due ones walk the whole history of fired timers first.
    __table_args__ = (Index(UNFIRED_BY_DUE_TIME, "due_at", sqlite_where=text("fired_at IS NULL"),
                            postgresql_where=text("fired_at IS NULL")),)


class CaseSummaryRow(SQLModel, table=True):
    """Where each case stands, for coordinators' lists (e.g. the cases awaiting a ruling); kept with each commit."""

    __tablename__ = "dispatch_case_summary"

    case_id: str = Field(primary_key=True, max_length=64)
    status: str = Field(index=True, max_length=20)
    lead_department: str | None = Field(default=None, max_length=100)
    category: str = Field(max_length=100)
    return_count: int = 0
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False, index=True))


class CasePartitionRow(SQLModel, table=True):
    """Which partition of the log holds each case: its timers wait until that partition is read past them."""

    __tablename__ = "dispatch_case_partition"

    case_id: str = Field(primary_key=True, max_length=64)
    partition: int


class BoardCaseRow(SQLModel, table=True):
    """The coordinators' board, projected: one narrow row per case not closed (what counting scans), kept in
    the transaction that commits the case's events. Moments are epoch seconds, compared in SQL with "now" on
    SQLite and PostgreSQL alike. A deadline bucket depends on "now", so what is stored is when the case's worst
    clock reaches each bucket's share of its window (the earliest over its running clocks), never the bucket."""

    __tablename__ = "dispatch_board_case"

    case_id: str = Field(primary_key=True, max_length=64)
    status: str = Field(index=True, max_length=20)
    category: str = Field(index=True, max_length=100)
    street: str = Field(index=True, max_length=200)
    reaches_50_s: float | None = None  # when a running clock's window is half gone
    reaches_75_s: float | None = None
    reaches_85_s: float | None = None
    reaches_95_s: float | None = None
    next_deadline_s: float = Field(index=True)  # the earliest running clock's deadline (far future when none)
    returned_at_s: float | None = None  # the latest return (退单)
    whistle_waiting: bool = False  # a whistle's summoned department has not reported in
    report_in_by_s: float | None = None  # the earliest report-in deadline still waited for
    meeting_due_s: float | None = None  # the earliest deadline of a joint-meeting task still open


class BoardDetailRow(SQLModel, table=True):
    """What a board list shows of a case (holders, clocks, returns, whistles) as JSON, read a page at a time."""

    __tablename__ = "dispatch_board_detail"

    case_id: str = Field(primary_key=True, max_length=64)
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    detail: str = Field(sa_column=Column(Text, nullable=False))


class BoardDepartmentRow(SQLModel, table=True):
    """A department holding a board case, or leading it: what the board's department filter matches."""

    __tablename__ = "dispatch_board_department"

    case_id: str = Field(primary_key=True, max_length=64)
    department_id: str = Field(primary_key=True, max_length=100, index=True)


class BoardVersionRow(SQLModel, table=True):
    """Which version of the board projection the rows were built by: absent or older, dispatch rebuilds them."""

    __tablename__ = "dispatch_board_version"

    version: int = Field(primary_key=True)


class MeetingListRow(SQLModel, table=True):
    """One row per joint meeting: what the meetings list filters, counts and orders by, so a page is found without
    folding every meeting. Kept in the transaction that commits the meeting's convening or adjournment."""

    __tablename__ = "dispatch_meeting_list"

    meeting_id: str = Field(primary_key=True, max_length=64)
    street_office: str | None = Field(default=None, max_length=100)  # None: convened before it was recorded
    status: str = Field(max_length=20)  # open or adjourned
    scheduled_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))

    # Each filter's rows in the list's order (newest scheduled first): a page reads its rows off the index.
    __table_args__ = (Index("ix_dispatch_meeting_list_scheduled", "scheduled_at", "meeting_id"),
                      Index("ix_dispatch_meeting_list_status", "status", "scheduled_at", "meeting_id"),
                      Index("ix_dispatch_meeting_list_office", "street_office", "status", "scheduled_at"))


class MeetingListVersionRow(SQLModel, table=True):
    """Which version of the meetings list the rows were built by: absent or older, dispatch rebuilds them."""

    __tablename__ = "dispatch_meeting_list_version"

    version: int = Field(primary_key=True)
