"""Parquet's columns for a batch of events, in SCHEMA's order: made by whichever of the replay's two processes
is free (`stager`). The reader has the events whole; the stager has their slim forms (`slim`), which keep every
field the text columns read, and what the reader sent beside them (`Envelopes`). Either way the same columns,
each in one comprehension over the batch, a value that is not a text as no value."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import pyarrow as pa

from jiesu_audit.domain.actors import actor_from, department_from
from jiesu_audit.replay.flat import SCHEMA

_TASK_TEXTS = ("task_id", "role", "kind", "category")  # in SCHEMA's order: then the place, then the outcome
_PLACE_TEXTS = ("district", "street", "community", "grid")
_OUTCOME_TEXTS = ("outcome", "satisfaction", "reason")
_NOTHING: dict[str, Any] = {}


@dataclass(slots=True)
class Envelopes:
    """What Parquet has of a batch's events beyond their slim forms, a list per column, in the batch's order."""
    partitions: list[int | None]
    offsets: list[int]
    micros: list[int]  # the event's time, microseconds since the epoch (UTC)
    sequences: list[int]
    correlations: list[str]
    causations: list[str | None]
    data_jsons: list[bytes]  # the event's data as in its JSON line

    def kept(self, fresh: list[bool]) -> Envelopes:
        return Envelopes(*([value for value, new in zip(getattr(self, f.name), fresh) if new] for f in fields(self)))


def columns(docs: list[dict[str, Any]], cases: list[str | None], envelopes: Envelopes) -> pa.RecordBatch:
    """The batch's columns from its events (whole or slim), their cases and their envelopes."""
    datas = [doc["data"] for doc in docs]
    departments = [department_from(data.get) for data in datas]
    places = [place if (place := data.get("place")).__class__ is dict else _NOTHING for data in datas]
    contacts = [contact if (contact := data.get("contact")).__class__ is dict else _NOTHING for data in datas]
    values = [envelopes.partitions, envelopes.offsets, *_fields(docs, ("id", "type", "source", "subject")), cases,
              envelopes.micros, envelopes.sequences, envelopes.correlations, envelopes.causations,
              [actor_from(doc["source"], data.get, department)
               for doc, data, department in zip(docs, datas, departments)],
              departments, *_texts(datas, _TASK_TEXTS), *_texts(places, _PLACE_TEXTS),
              *_texts(datas, _OUTCOME_TEXTS), *_texts(contacts, ("citizen",)),
              [data_json.decode() for data_json in envelopes.data_jsons]]
    return pa.RecordBatch.from_arrays([pa.array(v, type=f.type) for v, f in zip(values, SCHEMA)], schema=SCHEMA)


def _fields(docs: list[dict[str, Any]], names: tuple[str, ...]) -> list[list[Any]]:
    return [[doc[name] for doc in docs] for name in names]


def _texts(dicts: list[dict[str, Any]], names: tuple[str, ...]) -> list[list[str | None]]:
    return [[v if (v := d.get(name)).__class__ is str else None for d in dicts] for name in names]
