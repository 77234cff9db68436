"""An event as a batch takes it: its timeline row already made and the case it is folded into already found,
so the work done per event before the batch needs the database can be done elsewhere — by the catch-up's
reader process, on the other core (see `reader.py`), which sends these as plain tuples."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from hashlib import blake2b
from typing import Any, NamedTuple

import orjson

from jiesu_shared.catalogue import PayloadError, UnknownEventType, parse_payload

from jiesu_audit.domain.history import case_of
from jiesu_audit.projections.timeline import TimelineEntry
from jiesu_audit.replay.sources import from_stored_record

_TIME_TYPE = TimelineEntry.__table__.c.time.type  # type: ignore[attr-defined]
TimeValue = Callable[[datetime], Any]


class Ready(NamedTuple):
    """Plain tuples of this layout are taken too (what the reader process sends: unpickled without a class)."""
    partition: int
    offset: int
    row: tuple  # the timeline's row: `timeline_rows.COLUMNS` in order, its time as the column binds it
    case_id: str | None  # the case it is about (`history.case_of`; None: about no single case)
    type: str
    data: dict[str, Any] | None  # None: parsed from the row's data text when the fold needs it
    time: datetime
    key: bytes | None  # a key of its event id, for a case's history to tell a duplicate by (see `event_key`)


def time_value(dialect: Any) -> TimeValue:
    """What the timeline's time column binds. On SQLite that is the UTC time, which the driver stores as its
    `isoformat(" ")`: made here directly for a time in UTC already (every decoded event's)."""
    convert = _TIME_TYPE.bind_processor(dialect)
    if dialect.name != "sqlite":
        return convert or (lambda moment: moment)

    def sqlite_time(moment: datetime) -> Any:
        return moment.isoformat(" ") if moment.tzinfo is UTC else convert(moment)
    return sqlite_time


def ready(partition: int, offset: int, event: Any, text: str, time_of: TimeValue, keep_data: bool = True) -> tuple:
    """`Ready`'s fields as a plain tuple (`keep_data`: False when the data need not travel, see `Ready.data`)."""
    data = event.data
    case_id = case_of(event.type, event.subject, data)
    row = (event.subject, event.id, event.type, event.source, event.sequence, time_of(event.time),
           event.correlationid, event.causationid, event.traceparent, text)
    return (partition, offset, row, case_id, event.type, data if keep_data else None, event.time,
            None if case_id is None else event_key(event.id))


def event_key(event_id: str) -> bytes:
    """16 bytes standing for an event id in a case's history (`CaseHistory.event_keys`): its BLAKE2b digest,
    as unlikely to be shared by two ids as a UUID is to be drawn twice."""
    return blake2b(event_id.encode(), digest_size=16).digest()


def ready_of(decoded: Any, time_of: TimeValue) -> tuple:
    """From a `projector.Decoded`."""
    return ready(decoded.partition, decoded.offset, decoded.event, decoded.data_text, time_of)


def decode_stored(rows: list, time_of: TimeValue, out: list[tuple], poison: list) -> None:
    """Records of the embedded log (offset, key, value, headers text) decoded and checked as the consumer
    does (`consumer.decode_all`); the ones that are not valid go to `poison` with the reason."""
    keep = out.append
    for offset, key, value, headers in rows:
        item = from_stored_record(offset, headers, value)
        event = item.envelope
        if event is None:
            poison.append((offset, key, value, headers, f"undecodable: {item.poison_reason}"))
            continue
        try:
            parse_payload(event.type, event.data)
        except UnknownEventType:
            pass
        except PayloadError as exc:
            poison.append((offset, key, value, headers, f"invalid payload: {exc}"))
            continue
        keep(ready(0, offset, event, data_text(value, event.data), time_of, keep_data=False))


def data_text(value: bytes | None, data: dict[str, Any]) -> str:
    """The event's data as stored on the timeline: the record's own JSON text when it is that object."""
    try:
        return (value or b"").decode()
    except UnicodeDecodeError:
        return orjson.dumps(data).decode()
