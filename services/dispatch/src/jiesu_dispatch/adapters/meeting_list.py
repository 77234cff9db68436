"""The joint meetings as a list: one row per meeting with what the list filters and orders by (street office,
open or adjourned, when scheduled), so a page of the list is found and counted in SQL and only its meetings are
folded. Written in the transaction that commits a meeting's convening or adjournment; rebuilt from the ledger
when the table is new or was built by an older version of this projection."""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from pydantic import BaseModel
from sqlalchemy import func, insert, update
from sqlmodel import Session, col, select

from jiesu_shared.catalogue import dispatch as d
from jiesu_shared.catalogue import parse_payload
from jiesu_shared.store import Database

from jiesu_dispatch.adapters.projection_rebuild import rebuild_once
from jiesu_dispatch.adapters.tables import LedgerRow, MeetingListRow, MeetingListVersionRow, utc

VERSION = 1  # raise when what is listed changes: dispatch then rebuilds the table on start
MEETING_STREAM = "meeting-"
_LIST = MeetingListRow.__table__  # type: ignore[attr-defined]
_LEDGER = LedgerRow.__table__  # type: ignore[attr-defined]
# A meeting's decisions (most of its stream) do not move it on the list: the rebuild skips them. Named by what it
# skips, not what it reads: a convening in the ledger may be of an older version (meeting.convened.v1).
_DECISION = d.MeetingDecisionRecorded.__event_type__  # type: ignore[attr-defined]


def note(session: Session, event: d.MeetingConvened | d.MeetingAdjourned) -> None:
    """Bring the meeting's row up to date with an event just appended to its stream."""
    connection = session.connection()
    if isinstance(event, d.MeetingConvened):
        connection.execute(insert(_LIST), _row(event))
    else:
        connection.execute(update(_LIST).where(_LIST.c.meeting_id == event.meeting_id).values(status="adjourned"))


def _row(convened: d.MeetingConvened) -> dict:
    return {"meeting_id": convened.meeting_id, "street_office": convened.street_office, "status": "open",
            "scheduled_at": utc(convened.scheduled_at)}


def page(session: Session, status: str | None, street_office: str | None, limit: int,
         offset: int) -> tuple[list[str], int]:
    """The ids of a page of meetings, the latest scheduled first, and how many meetings the filter holds."""
    matching = []
    if status is not None:
        matching.append(col(MeetingListRow.status) == status)
    if street_office is not None:
        matching.append(col(MeetingListRow.street_office) == street_office)
    ids = session.exec(select(MeetingListRow.meeting_id).where(*matching)
                       .order_by(col(MeetingListRow.scheduled_at).desc(), col(MeetingListRow.meeting_id).desc())
                       .offset(offset).limit(limit)).all()
    total = session.exec(select(func.count()).select_from(MeetingListRow).where(*matching)).one()
    return list(ids), int(total)


def _from_ledger(session: Session) -> Iterator[dict]:
    """Each meeting's row, from its convening and adjournment in the ledger (one query over the meetings' range)."""
    after_prefix = MEETING_STREAM[:-1] + chr(ord(MEETING_STREAM[-1]) + 1)
    rows = session.connection().execute(
        select(_LEDGER.c.type, _LEDGER.c.data)
        .where(_LEDGER.c.stream_id >= MEETING_STREAM, _LEDGER.c.stream_id < after_prefix,
               _LEDGER.c.type != _DECISION)
        .order_by(_LEDGER.c.stream_id, _LEDGER.c.n))
    listed: dict[str, dict] = {}
    for type_name, data in rows:
        event: BaseModel = parse_payload(type_name, json.loads(data))
        if isinstance(event, d.MeetingConvened):
            listed[event.meeting_id] = _row(event)
        elif isinstance(event, d.MeetingAdjourned) and event.meeting_id in listed:
            listed[event.meeting_id]["status"] = "adjourned"
    yield from listed.values()


def rebuild_if_needed(database: Database) -> int | None:
    """Fill the list from the ledger unless this version already built it; how many meetings it listed.
    Dispatch calls it before it serves; of instances starting together, one builds."""
    return rebuild_once(database, MeetingListVersionRow, VERSION, (MeetingListRow,), _fill)


def _fill(session: Session) -> int:
    rows = list(_from_ledger(session))
    _insert(session, rows)
    return len(rows)


def _insert(session: Session, rows: Iterable[dict]) -> None:
    values = list(rows)
    if values:
        session.connection().execute(insert(_LIST), values)
