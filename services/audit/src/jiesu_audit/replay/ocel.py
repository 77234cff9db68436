"""OCEL 2.0 JSON: object types, event types, objects with their relationships, events with theirs —
written as a stream (the JSON is assembled piecewise, never held whole). Attribute values are strings,
as the published OCEL 2.0 JSON schema requires; their declared types say how to read them."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from jiesu_audit.replay.objects import event_attributes, related_objects
from jiesu_audit.replay.reading import Reading
from jiesu_audit.replay.staging import Staging

OBJECT_TYPES = ("call-back", "case", "community", "department", "meeting", "street", "task", "whistle")
_STAMPED = ("case.dispatched.v1", "task.offered.v1", "case.rerouted.v1")  # carry the routing-rules version
_DEADLINES = ("decide_by", "respond_by", "resolve_by")


def _dump(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


class OcelWriter:
    """Types and objects first (from staging), then the events as they are fed, case by case."""

    def __init__(self, path: Path, staging: Staging) -> None:
        self._out = path.open("w", encoding="utf-8", newline="\n", buffering=1 << 20)
        self._out.write('{"objectTypes":' + _dump(_object_types(staging)))
        self._out.write(',\n"eventTypes":' + _dump(_event_types(staging)))
        self._out.write(',\n"objects":[')
        self.objects = 0
        for row in staging.rows("SELECT oid, type, attrs, time FROM objects ORDER BY oid"):
            self._out.write(("\n" if self.objects == 0 else ",\n") + _dump(_object(staging, *row)))
            self.objects += 1
        self._out.write('\n],\n"events":[')
        self.events = 0

    def events_of(self, readings: list[Reading]) -> None:
        parts = [("\n" if self.events + i == 0 else ",\n") + _dump(_event(r)) for i, r in enumerate(readings)]
        self._out.write("".join(parts))
        self.events += len(readings)

    def close(self) -> None:
        self._out.write("\n]}\n")
        self._out.close()


def _object_types(staging: Staging) -> list[dict[str, Any]]:
    names: dict[str, set[str]] = {t: set() for t in OBJECT_TYPES}
    for object_type, attrs in staging.rows("SELECT type, attrs FROM objects WHERE attrs != '{}'"):
        names[object_type].update(orjson.loads(attrs))
    return [{"name": t, "attributes": [{"name": a, "type": "string"} for a in sorted(names[t])]} for t in OBJECT_TYPES]


def _event_types(staging: Staging) -> list[dict[str, Any]]:
    types: dict[str, list[dict[str, str]]] = {t: [] for (t,) in staging.rows("SELECT DISTINCT type FROM events")}
    for event_type, name, kind in staging.rows("SELECT event_type, name, type FROM attribute_types"):
        types[event_type].append({"name": name, "type": kind})
    for event_type in set(_STAMPED) & set(types):
        types[event_type].append({"name": "routing_rules_version", "type": "string"})
    if "task.offered.v1" in types:
        types["task.offered.v1"] += [{"name": d, "type": "time"} for d in _DEADLINES]
    return [{"name": t, "attributes": sorted(a, key=lambda x: x["name"])} for t, a in sorted(types.items())]


def _object(staging: Staging, oid: str, object_type: str, attrs: str, time: str) -> dict[str, Any]:
    values = orjson.loads(attrs)
    links = staging.rows("SELECT dst, qualifier FROM links WHERE src = ? ORDER BY dst, qualifier", oid)
    return {"id": oid, "type": object_type,
            "attributes": [{"name": k, "time": time, "value": str(v)} for k, v in sorted(values.items())],
            "relationships": [{"objectId": dst, "qualifier": q} for dst, q in links]}


def _event(r: Reading) -> dict[str, Any]:
    doc = r.doc
    data = doc["data"]
    attributes = [{"name": k, "value": str(v)} for k, v in event_attributes(data).items()]
    if r.routing_version is not None:
        attributes.append({"name": "routing_rules_version", "value": r.routing_version})
    if doc["type"] == "task.offered.v1":
        attributes += [{"name": d, "value": data[d]} for d in _DEADLINES if isinstance(data.get(d), str)]
    return {"id": doc["id"], "type": doc["type"], "time": doc["time"], "attributes": attributes,
            "relationships": [{"objectId": oid, "qualifier": q}
                              for oid, _, q in related_objects(doc["subject"], doc["type"], data, doc["id"])]}
