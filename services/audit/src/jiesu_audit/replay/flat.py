"""The raw events as JSON Lines (CloudEvents, structured mode) and one flat row per event in Parquet."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from jiesu_audit.domain.actors import actor_of, department_of

SCHEMA = pa.schema([
    ("log_partition", pa.int32()), ("log_offset", pa.int64()), ("event_id", pa.string()), ("type", pa.string()),
    ("source", pa.string()), ("subject", pa.string()), ("case_id", pa.string()),
    ("time", pa.timestamp("us", tz="UTC")), ("sequence", pa.int64()), ("correlation_id", pa.string()),
    ("causation_id", pa.string()), ("actor", pa.string()), ("department", pa.string()), ("task_id", pa.string()),
    ("role", pa.string()), ("kind", pa.string()), ("category", pa.string()), ("district", pa.string()),
    ("street", pa.string()), ("community", pa.string()), ("grid", pa.string()), ("outcome", pa.string()),
    ("satisfaction", pa.string()), ("reason", pa.string()), ("citizen", pa.string()), ("data", pa.string()),
])
_BATCH = 5000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class FlatWriters:
    def __init__(self, jsonl: Path | None, parquet: Path | None) -> None:
        self._jsonl = jsonl.open("wb") if jsonl else None
        self._parquet = pq.ParquetWriter(parquet, SCHEMA, compression="zstd") if parquet else None
        self._columns: dict[str, list[Any]] = {name: [] for name in SCHEMA.names}
        self._count = 0

    def add(self, partition: int | None, offset: int, doc: dict[str, Any], case_id: str | None, line: bytes,
            time: datetime) -> None:
        """`line`: the event as JSON (sorted keys); `time`: its time, parsed already."""
        if self._jsonl is not None:
            self._jsonl.write(line + b"\n")
        if self._parquet is not None:
            for name, value in _row(partition, offset, doc, case_id, time).items():
                self._columns[name].append(value)
            self._count += 1
            if self._count >= _BATCH:
                self._flush()

    def _flush(self) -> None:
        if self._count and self._parquet is not None:
            self._parquet.write_table(pa.Table.from_pydict(self._columns, schema=SCHEMA))
        self._columns = {name: [] for name in SCHEMA.names}
        self._count = 0

    def close(self) -> None:
        self._flush()
        if self._parquet is not None:
            self._parquet.close()
        if self._jsonl is not None:
            self._jsonl.close()


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _row(partition: int | None, offset: int, doc: dict[str, Any], case_id: str | None, time: datetime) -> dict[str, Any]:
    data = doc["data"]
    place = data.get("place") if isinstance(data.get("place"), dict) else {}
    contact = data.get("contact") if isinstance(data.get("contact"), dict) else {}
    return {
        "log_partition": partition, "log_offset": offset, "event_id": doc["id"], "type": doc["type"],
        "source": doc["source"], "subject": doc["subject"], "case_id": case_id,
        "time": (time - _EPOCH) // _MICROSECOND, "sequence": int(doc["sequence"]),
        "correlation_id": doc["correlationid"], "causation_id": doc.get("causationid"),
        "actor": actor_of(doc["source"], data), "department": department_of(data),
        **{k: _text(data.get(k)) for k in ("task_id", "role", "kind", "category", "outcome", "satisfaction", "reason")},
        **{k: _text(place.get(k)) for k in ("district", "street", "community", "grid")},
        "citizen": _text(contact.get("citizen")),
        "data": orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode(),
    }
