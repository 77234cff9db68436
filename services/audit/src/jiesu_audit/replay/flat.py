"""The raw events as JSON Lines (CloudEvents, structured mode) and one flat row per event in Parquet."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from jiesu_audit.replay.fields import actor, first_department

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


class JsonLines:
    """events.jsonl, written as the events are read: each line made once, for staging and this file alike."""

    def __init__(self, path: Path | None) -> None:
        self._out = path.open("wb", buffering=1 << 20) if path else None

    def add(self, lines: list[bytes]) -> None:
        if self._out is not None and lines:
            self._out.write(b"\n".join(lines) + b"\n")

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


class ParquetRows:
    """events.parquet, written as the staged events arrive in log order: batches of columns (`columns`, made by
    the reading process) gathered into row groups of a fixed size, whatever size the batches come in."""

    def __init__(self, path: Path | None) -> None:
        self._writer = pq.ParquetWriter(path, SCHEMA, compression="zstd") if path else None
        self._pending: list[pa.RecordBatch] = []
        self._rows = 0

    def add(self, batch: pa.RecordBatch | None) -> None:
        """A batch of `columns`, or None when no Parquet was asked for."""
        if self._writer is None or batch is None:
            return
        self._pending.append(batch)
        self._rows += batch.num_rows
        while self._rows >= _BATCH:
            table = pa.Table.from_batches(self._pending, schema=SCHEMA).combine_chunks()
            self._writer.write_table(table.slice(0, _BATCH))
            rest = table.slice(_BATCH)
            self._pending, self._rows = rest.to_batches(), rest.num_rows

    def close(self) -> None:
        if self._writer is not None:
            if self._rows:
                self._writer.write_table(pa.Table.from_batches(self._pending, schema=SCHEMA).combine_chunks())
            self._writer.close()


def columns(rows: list[tuple]) -> pa.RecordBatch:
    """`row`s in SCHEMA's column order, turned into columns at once."""
    return pa.RecordBatch.from_arrays([pa.array(values, type=f.type) for values, f in zip(zip(*rows), SCHEMA)],
                                      schema=SCHEMA)


_TASK_TEXTS = ("task_id", "role", "kind", "category")  # in SCHEMA's order: then the place, then the outcome
_PLACE_TEXTS = ("district", "street", "community", "grid")
_OUTCOME_TEXTS = ("outcome", "satisfaction", "reason")
_NOTHING: dict[str, Any] = {}


def row(partition: int | None, offset: int, doc: dict[str, Any], case_id: str | None, micros: int,
        data_json: bytes) -> tuple:
    """One flat row, from the event, its time in microseconds and its data as JSON (both made already); the
    texts looked up in bulk (`map`), a value that is not a text as no value (per event: no call per field)."""
    data = doc["data"]
    get = data.get
    place = get("place")
    place_get = place.get if place.__class__ is dict else _NOTHING.get
    contact = get("contact")
    citizen = contact.get("citizen") if contact.__class__ is dict else None
    department = first_department(get)
    return (partition, offset, doc["id"], doc["type"], doc["source"], doc["subject"], case_id,
            micros, int(doc["sequence"]), doc["correlationid"], doc.get("causationid"),
            actor(doc["source"], get, department), department,
            *[v if v.__class__ is str else None for v in map(get, _TASK_TEXTS)],
            *[v if v.__class__ is str else None for v in map(place_get, _PLACE_TEXTS)],
            *[v if v.__class__ is str else None for v in map(get, _OUTCOME_TEXTS)],
            citizen if citizen.__class__ is str else None, data_json.decode())
