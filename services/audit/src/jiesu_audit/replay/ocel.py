"""OCEL 2.0 JSON: object types, event types, objects with their relationships, events with theirs —
written as a stream (the JSON is assembled piecewise, never held whole). Attribute values are strings,
as the published OCEL 2.0 JSON schema requires; their declared types say how to read them. Every event
carries `actor`, who acted, as XES's `jiesu:actor` and Parquet's `actor` have it (`domain/actors.py`); the
departments are the event's objects."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from jiesu_audit.replay.objects import related_objects
from jiesu_audit.replay.reading import Reading
from jiesu_audit.replay.staging import Staging

OBJECT_TYPES = ("call-back", "case", "community", "department", "meeting", "street", "task", "whistle")
_STAMPED = ("case.dispatched.v1", "task.offered.v1", "case.rerouted.v1")  # carry the routing-rules version
_DEADLINES = ("decide_by", "respond_by", "resolve_by")


FOOTER = b"\n]}\n"


def write_head(path: Path, staging: Staging) -> None:
    """The types and the objects (from staging), up to where the events begin."""
    with path.open("wb", buffering=1 << 20) as out:
        out.write(b'{"objectTypes":' + orjson.dumps(_object_types(staging), option=orjson.OPT_SORT_KEYS))
        out.write(b',\n"eventTypes":' + orjson.dumps(_event_types(staging), option=orjson.OPT_SORT_KEYS))
        out.write(b',\n"objects":[')
        first = True
        for document in _objects(staging):
            out.write((b"\n" if first else b",\n") + orjson.dumps(document))
            first = False
        out.write(b'\n],\n"events":[')


class OcelEvents:
    """A stretch of the events array, case by case: the first of the file, or following one (`follows`)."""

    def __init__(self, path: Path, *, follows: bool) -> None:
        self._out = path.open("wb", buffering=1 << 20)
        self._follows = follows
        self.events = 0

    def events_of(self, readings: list[Reading]) -> None:
        if not readings:
            return
        parts = [orjson.dumps(_event(r)) for r in readings]  # built with their keys in order: no sorting
        self._out.write((b",\n" if self.events or self._follows else b"\n") + b",\n".join(parts))
        self.events += len(readings)

    def close(self) -> None:
        self._out.close()


def _object_types(staging: Staging) -> list[dict[str, Any]]:
    names: dict[str, set[str]] = {t: set() for t in OBJECT_TYPES}
    for object_type, attrs in staging.rows("SELECT type, attrs FROM objects WHERE attrs != '{}'"):
        names[object_type].update(orjson.loads(attrs))
    return [{"name": t, "attributes": [{"name": a, "type": "string"} for a in sorted(names[t])]} for t in OBJECT_TYPES]


def _event_types(staging: Staging) -> list[dict[str, Any]]:
    types: dict[str, list[dict[str, str]]] = {t: [{"name": "actor", "type": "string"}]
                                              for (t,) in staging.rows("SELECT DISTINCT type FROM events")}
    for event_type, name, kind in staging.rows("SELECT event_type, name, type FROM attribute_types"):
        types[event_type].append({"name": name, "type": kind})
    for event_type in set(_STAMPED) & set(types):
        types[event_type].append({"name": "routing_rules_version", "type": "string"})
    if "task.offered.v1" in types:
        types["task.offered.v1"] += [{"name": d, "type": "time"} for d in _DEADLINES]
    return [{"name": t, "attributes": sorted(a, key=lambda x: x["name"])} for t, a in sorted(types.items())]


def _objects(staging: Staging) -> Iterator[dict[str, Any]]:
    """Each object with its links: the objects and the links each read once in id order, merged."""
    links = staging.rows("SELECT src, dst, qualifier FROM links ORDER BY src, dst, qualifier")
    link = next(links, None)
    for oid, object_type, attrs, time in staging.rows("SELECT oid, type, attrs, time FROM objects ORDER BY oid"):
        while link is not None and link[0] < oid:  # a link from an object never staged: none is, but skip it
            link = next(links, None)
        relationships = []
        while link is not None and link[0] == oid:
            relationships.append({"objectId": link[1], "qualifier": link[2]})
            link = next(links, None)
        values = orjson.loads(attrs)
        yield {"attributes": [{"name": k, "time": time, "value": str(v)} for k, v in sorted(values.items())],
               "id": oid, "relationships": relationships, "type": object_type}


def _event(r: Reading) -> dict[str, Any]:
    """The event as OCEL 2.0 has it, every dict's keys in sorted order (as the file had them sorted)."""
    doc = r.doc
    data = doc["data"]
    attributes = [{"name": "actor", "value": r.actor}]
    attributes += [{"name": k, "value": str(v)} for k, v in r.attributes.items()]
    if r.routing_version is not None:
        attributes.append({"name": "routing_rules_version", "value": r.routing_version})
    if doc["type"] == "task.offered.v1":
        attributes += [{"name": d, "value": data[d]} for d in _DEADLINES if isinstance(data.get(d), str)]
    return {"attributes": attributes, "id": doc["id"],
            "relationships": [{"objectId": oid, "qualifier": q}
                              for oid, _, q in related_objects(doc["subject"], doc["type"], data, doc["id"])],
            "time": doc["time"], "type": doc["type"]}
