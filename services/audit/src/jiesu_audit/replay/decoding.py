"""The export's own decoding: each record of the log straight into its de-identified CloudEvent (structured
mode) and its time in microseconds since the epoch, with no model, view or item in between.

The log's records were checked when they were written, so the usual record is plainly valid: for the
embedded log that one is read here with the shared codec's plain checks, one JSON parse of the headers and
one of the value. Anything unusual — text that is not JSON, a missing or odd attribute, bytes in a header —
goes through the shared codec (`sources.from_stored_record`), which decides and explains: a record that
does not decode is reported as poison with its position, never dropped. Kafka and files go through the
codec as before."""
from __future__ import annotations

import operator
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import orjson

from jiesu_audit.replay.scrubbing import ReplayDeidentifier
from jiesu_audit.replay.sources import EmbeddedSource, Item, from_stored_record
from jiesu_shared.events.codec import plain_time_and_sequence, sequence_text

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_CANONICAL_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{6})?\+00:00\Z", re.ASCII)  # as isoformat writes UTC
_REQUIRED = ("ce_id", "ce_source", "ce_type", "ce_subject", "ce_time", "ce_specversion", "ce_sequence",
             "ce_correlationid")
_required = operator.itemgetter(*_REQUIRED)
_TEXT = {str}


class Decoded(NamedTuple):
    partition: int | None
    offset: int
    doc: dict[str, Any] | None  # None: poison
    micros: int = 0  # the event's time, microseconds since the epoch (UTC)
    poison: dict[str, Any] | None = None  # the poison record's report


async def decoded(source, deidentifier: ReplayDeidentifier) -> AsyncIterator[list[Decoded]]:
    """The source's records in its order, a batch at a time."""
    if isinstance(source, EmbeddedSource):
        async for rows in source.row_batches():
            yield [from_stored(offset, headers, value, deidentifier) for offset, value, headers in rows]
        return
    batch: list[Decoded] = []
    async for item in source.items():
        batch.append(from_item(item, deidentifier))
        if len(batch) >= 1000:
            yield batch
            batch = []
    if batch:
        yield batch


def from_stored(offset: int, headers_text: str, value: bytes | None, deidentifier: ReplayDeidentifier) -> Decoded:
    """A record of the embedded log as stored: plainly valid, read here; else as the codec reads it."""
    attributes, data = _parsed(headers_text, value)
    if attributes is not None and data is not None:
        doc = _plain(attributes, data, deidentifier)
        if doc is not None:
            return Decoded(0, offset, *doc)
    try:
        item = from_stored_record(offset, headers_text, value)  # the codec decides
    except KeyError as exc:  # headers as a JSON object without "h": the codec lets this through
        item = Item(0, offset, poison_reason=f"undecodable record: no headers list {exc}", poison_bytes=value or b"")
    return from_item(item, deidentifier)


def _parsed(headers_text: str, value: bytes | None) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The headers by name (all text: no "b64") and the data, as one parse each; (None, None) if unusual."""
    try:
        headers, data = orjson.loads(headers_text), orjson.loads(value or b"")
        if headers.__class__ is dict and data.__class__ is dict and "b64" not in headers:
            return dict(headers["h"]), data
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        pass
    return None, None


def _plain(a: dict[str, Any], data: dict[str, Any], deidentifier: ReplayDeidentifier
           ) -> tuple[dict[str, Any], int] | None:
    """The de-identified event and its time in microseconds, or None when the codec must decide."""
    checked = _checked(a)
    if checked is None:
        return None
    time, number = checked
    return ({"specversion": "1.0", "id": a["ce_id"], "source": a["ce_source"], "type": a["ce_type"],
             "subject": a["ce_subject"], "time": _utc_text(a["ce_time"], time), "datacontenttype": "application/json",
             "sequence": sequence_text(number), "correlationid": a["ce_correlationid"],
             "causationid": a.get("ce_causationid"), "data": deidentifier.data(data)},
            (time - _EPOCH) // _MICROSECOND)


def _checked(a: dict[str, Any]) -> tuple[datetime, int] | None:
    """The time and the sequence number when the codec's plain checks (`_plainly_valid`) pass, else None."""
    try:
        if {*map(type, _required(a))} != _TEXT:
            return None
    except KeyError:
        return None
    causation = a.get("ce_causationid")
    if not ((causation is None or causation.__class__ is str)
            and a.get("ce_traceparent").__class__ in (str, type(None))):
        return None
    return plain_time_and_sequence(a)


def _utc_text(stamp: str, time: datetime) -> str:
    """`time.astimezone(UTC).isoformat()` with "Z" for "+00:00"; when the stamp is that text already (as the
    codec writes it: UTC, six-digit fraction unless zero), it is reused instead of made again."""
    if _CANONICAL_UTC.match(stamp) and stamp[19:26] != ".000000":
        return stamp[:-6] + "Z"
    return time.astimezone(UTC).isoformat().replace("+00:00", "Z")


def from_item(item: Item, deidentifier: ReplayDeidentifier) -> Decoded:
    """A record the shared codec decoded (or found to be poison)."""
    e = item.envelope
    if e is None:
        return Decoded(item.partition, item.offset, None, poison=item.poison_report())
    doc = {"specversion": e.specversion, "id": e.id, "source": e.source, "type": e.type, "subject": e.subject,
           "time": e.time.isoformat().replace("+00:00", "Z"), "datacontenttype": e.datacontenttype,
           "sequence": sequence_text(e.sequence), "correlationid": e.correlationid, "causationid": e.causationid,
           "data": deidentifier.data(e.data)}
    return Decoded(item.partition, item.offset, doc, (e.time - _EPOCH) // _MICROSECOND)
