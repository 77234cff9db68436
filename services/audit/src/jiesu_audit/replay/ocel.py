"""OCEL 2.0 JSON: object types, event types, objects with their relationships, events with theirs —
written as a stream from staging (the JSON is assembled piecewise, never held whole)."""
from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import orjson

from jiesu_audit.replay.objects import event_attributes, related_objects
from jiesu_audit.replay.staging import Staging

OBJECT_TYPES = ("case", "department", "meeting", "task", "whistle")


def _dump(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def write_ocel(staging: Staging, path: Path) -> dict[str, int]:
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write('{"objectTypes":' + _dump(_object_types(staging)))
        out.write(',\n"eventTypes":' + _dump(_event_types(staging)))
        objects = _write_list(out, "objects", (_object(staging, *row) for row in staging.rows(
            "SELECT oid, type, attrs, time FROM objects ORDER BY oid")))
        events = _write_list(out, "events", (_event(orjson.loads(doc)) for (doc,) in staging.rows(
            "SELECT doc FROM events ORDER BY seq")))
        out.write("}\n")
    return {"objects": objects, "events": events}


def _write_list(out: IO[str], name: str, items) -> int:
    out.write(f',\n"{name}":[')
    count = 0
    for item in items:
        out.write(("\n" if count == 0 else ",\n") + _dump(item))
        count += 1
    out.write("\n]")
    return count


def _object_types(staging: Staging) -> list[dict[str, Any]]:
    names: dict[str, set[str]] = {t: set() for t in OBJECT_TYPES}
    for object_type, attrs in staging.rows("SELECT type, attrs FROM objects WHERE attrs != '{}'"):
        names[object_type].update(orjson.loads(attrs))
    return [{"name": t, "attributes": [{"name": a, "type": "string"} for a in sorted(names[t])]} for t in OBJECT_TYPES]


def _event_types(staging: Staging) -> list[dict[str, Any]]:
    types: dict[str, list[dict[str, str]]] = {t: [] for (t,) in staging.rows("SELECT DISTINCT type FROM events")}
    for event_type, name, kind in staging.rows("SELECT event_type, name, type FROM attribute_types"):
        types[event_type].append({"name": name, "type": kind})
    return [{"name": t, "attributes": sorted(a, key=lambda x: x["name"])} for t, a in sorted(types.items())]


def _object(staging: Staging, oid: str, object_type: str, attrs: str, time: str) -> dict[str, Any]:
    values = orjson.loads(attrs)
    links = staging.rows("SELECT dst, qualifier FROM links WHERE src = ? ORDER BY dst, qualifier", oid)
    return {"id": oid, "type": object_type,
            "attributes": [{"name": k, "time": time, "value": str(v)} for k, v in sorted(values.items())],
            "relationships": [{"objectId": dst, "qualifier": q} for dst, q in links]}


def _event(doc: dict[str, Any]) -> dict[str, Any]:
    data = doc["data"]
    return {"id": doc["id"], "type": doc["type"], "time": doc["time"],
            "attributes": [{"name": k, "value": v} for k, v in event_attributes(data).items()],
            "relationships": [{"objectId": oid, "qualifier": q}
                              for oid, _, q in related_objects(doc["subject"], doc["type"], data)]}
