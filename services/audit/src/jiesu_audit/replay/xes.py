"""XES (IEEE 1849-2016): one trace per case, its lead line in log order, written as a stream."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jiesu_audit.replay.reading import Reading

SLA_DEADLINES = ("decide_by", "respond_by", "resolve_by")  # what the SLA policy gave the offer

_HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xes.features="" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
  <extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
  <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
  <extension name="Identity" prefix="identity" uri="http://www.xes-standard.org/identity.xesext"/>
  <global scope="trace">
    <string key="concept:name" value="UNKNOWN"/>
  </global>
  <global scope="event">
    <string key="concept:name" value="UNKNOWN"/>
    <date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>
    <string key="lifecycle:transition" value="complete"/>
  </global>
  <classifier name="Activity" keys="concept:name"/>
  <classifier name="ActivityAndResource" keys="concept:name org:resource"/>
  <classifier name="ActivityAndTransition" keys="concept:name lifecycle:transition"/>
  <string key="concept:name" value="Jiesu case events (de-identified)"/>
"""


class XesWriter:
    """One trace per case (its lead line: see `reading`), written as a stream of pre-escaped strings."""

    def __init__(self, path: Path, *, first: bool = True, last: bool = True) -> None:
        """`first`: the file's start, with the log's header; `last`: its end (the file may be written in parts)."""
        self._out = path.open("w", encoding="utf-8", newline="\n", buffering=1 << 20)
        self._last = last
        if first:
            self._out.write(_HEADER)
        self.traces = self.events = 0

    def trace(self, case_id: str, attrs: dict[str, Any], readings: list[Reading]) -> None:
        lead_line = [r for r in readings if r.in_lead_line]
        if not lead_line:
            return
        parts = ["  <trace>\n", _attribute("string", "concept:name", case_id, "    ")]
        parts += [_attribute("string", f"jiesu:{k}", v, "    ") for k, v in sorted(attrs.items())]
        parts += [_event(r) for r in lead_line]
        parts.append("  </trace>\n")
        self._out.write("".join(parts))
        self.traces += 1
        self.events += len(lead_line)

    def close(self) -> None:
        if self._last:
            self._out.write("</log>\n")
        self._out.close()


_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;",
                          "\t": "&#9;"})


_NEEDS_ESCAPE = re.compile(r'[&<>"\n\r\t]')


def _escaped(text: str) -> str:
    return text.translate(_ESCAPES) if _NEEDS_ESCAPE.search(text) else text  # most values need none


def _attribute(kind: str, key: str, value: Any, indent: str) -> str:
    return f'{indent}<{kind} key="{_escaped(key)}" value="{_escaped(str(value))}"/>\n'



# the attributes every event has, in this order: one template, filled at once
_EVENT_HEAD = "".join(f'      <{kind} key="{key}" value="%s"/>\n' for kind, key in (
    ("string", "concept:name"), ("date", "time:timestamp"), ("string", "lifecycle:transition"),
    ("string", "org:resource"), ("id", "identity:id"), ("string", "jiesu:type"), ("string", "jiesu:actor")))
_EVENT_HEAD = "    <event>\n" + _EVENT_HEAD
_LINE = '      <%s key="%s" value="%s"/>\n'
_TEXTS = tuple((key, f"jiesu:{key}") for key in ("task_id", "from_department", "to_department", "suggested_department"))
_DEADLINES = tuple((key, f"jiesu:{key}") for key in SLA_DEADLINES)


def _event(r: Reading) -> str:
    """The event's lines from templates; its values escaped only when one of them needs it (rarely)."""
    doc = r.doc
    data = doc["data"]
    values = [r.activity, _xes_time(r.time), r.transition, r.resource, doc["id"], doc["type"], r.actor]
    more: list[tuple[str, str, str]] = []
    if r.instance is not None:
        more.append(("string", "concept:instance", r.instance))
    if r.routing_version is not None:
        more.append(("string", "jiesu:routing_rules_version", r.routing_version))
    for key, value in r.attributes.items():
        more.append(("int", f"jiesu:{key}", str(value)) if value.__class__ is int else ("string", f"jiesu:{key}", value))
    get = data.get
    for key, name in _TEXTS:
        if (value := get(key)).__class__ is str:
            more.append(("string", name, value))
    for key, name in _DEADLINES:
        if (value := get(key)).__class__ is str:
            more.append(("date", name, _xes_time(value)))
    if _NEEDS_ESCAPE.search("".join(values) + "".join(v for _, _, v in more)):
        values = [_escaped(v) for v in values]
        more = [(kind, name, _escaped(v)) for kind, name, v in more]
    return _EVENT_HEAD % tuple(values) + "".join(_LINE % line for line in more) + "    </event>\n"


def _xes_time(iso: str) -> str:
    # 2026-11-01T08:00:00Z → 2026-11-01T08:00:00.000+00:00 (xs:dateTime with milliseconds, as XES tools expect)
    stamp = iso.replace("Z", "+00:00")
    date_time, offset = stamp[:-6], stamp[-6:]
    if "." in date_time:
        head, fraction = date_time.split(".", 1)
        return f"{head}.{(fraction + '000')[:3]}{offset}"
    return f"{date_time}.000{offset}"
