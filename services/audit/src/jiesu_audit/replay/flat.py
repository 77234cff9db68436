"""The raw events as JSON Lines (CloudEvents, structured mode) and one flat row per event in Parquet."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from jiesu_audit.domain.actors import actor_from, department_from

if TYPE_CHECKING:
    from jiesu_audit.replay.decoding import Decoded

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


_TASK_TEXTS = ("task_id", "role", "kind", "category")  # in SCHEMA's order: then the place, then the outcome
_PLACE_TEXTS = ("district", "street", "community", "grid")
_OUTCOME_TEXTS = ("outcome", "satisfaction", "reason")
_NOTHING: dict[str, Any] = {}


def columns(records: list[Decoded], cases: list[str | None], data_jsons: list[bytes]) -> pa.RecordBatch:
    """A batch's columns in SCHEMA's order, from its decoded events, their cases and their data as JSON (made
    for JSON Lines already): each column in one comprehension over the batch, a value that is not a text as
    no value — no call per event and field."""
    docs: list[dict[str, Any]] = [record.doc for record in records]  # type: ignore[misc]
    datas = [doc["data"] for doc in docs]
    departments = [department_from(data.get) for data in datas]
    places = [place if (place := data.get("place")).__class__ is dict else _NOTHING for data in datas]
    contacts = [contact if (contact := data.get("contact")).__class__ is dict else _NOTHING for data in datas]
    values = [[r.partition for r in records], [r.offset for r in records],
              *_fields(docs, ("id", "type", "source", "subject")), cases, [r.micros for r in records],
              [int(doc["sequence"]) for doc in docs], [doc["correlationid"] for doc in docs],
              [doc.get("causationid") for doc in docs],
              [actor_from(doc["type"], doc["source"], data.get, department)
               for doc, data, department in zip(docs, datas, departments)],
              departments, *_texts(datas, _TASK_TEXTS), *_texts(places, _PLACE_TEXTS),
              *_texts(datas, _OUTCOME_TEXTS), *_texts(contacts, ("citizen",)),
              [data_json.decode() for data_json in data_jsons]]
    return pa.RecordBatch.from_arrays([pa.array(v, type=f.type) for v, f in zip(values, SCHEMA)], schema=SCHEMA)


def _fields(docs: list[dict[str, Any]], names: tuple[str, ...]) -> list[list[Any]]:
    return [[doc[name] for doc in docs] for name in names]


def _texts(dicts: list[dict[str, Any]], names: tuple[str, ...]) -> list[list[str | None]]:
    return [[v if (v := d.get(name)).__class__ is str else None for d in dicts] for name in names]
