"""XES (IEEE 1849-2016): one trace per case, its events in log order, written as a stream from staging."""
from __future__ import annotations

import re
from pathlib import Path
from typing import IO, Any

import orjson

from jiesu_audit.domain.actors import actor_of, department_of
from jiesu_audit.replay.objects import event_attributes
from jiesu_audit.replay.staging import Staging

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
  <string key="concept:name" value="Jiesu case events (de-identified)"/>
"""


def write_xes(staging: Staging, path: Path) -> int:
    """Write the log; return the number of traces (cases)."""
    traces, current = 0, None
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write(_HEADER)
        for case_id, doc in staging.rows("SELECT case_id, doc FROM events WHERE case_id IS NOT NULL "
                                         "ORDER BY case_id, seq"):
            if case_id != current:
                if current is not None:
                    out.write("  </trace>\n")
                _open_trace(out, case_id, staging.case_attributes(case_id))
                current, traces = case_id, traces + 1
            _write_event(out, orjson.loads(doc))
        if current is not None:
            out.write("  </trace>\n")
        out.write("</log>\n")
    return traces


_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;",
                          "\t": "&#9;"})


_NEEDS_ESCAPE = re.compile(r'[&<>"\n\r\t]')


def _escaped(text: str) -> str:
    return text.translate(_ESCAPES) if _NEEDS_ESCAPE.search(text) else text  # most values need none


def _attribute(kind: str, key: str, value: Any, indent: str) -> str:
    return f'{indent}<{kind} key="{_escaped(key)}" value="{_escaped(str(value))}"/>\n'



def _open_trace(out: IO[str], case_id: str, attrs: dict[str, Any]) -> None:
    out.write("  <trace>\n" + _attribute("string", "concept:name", case_id, "    "))
    for key, value in sorted(attrs.items()):
        out.write(_attribute("string", f"jiesu:{key}", value, "    "))


def _write_event(out: IO[str], doc: dict[str, Any]) -> None:
    data, indent = doc["data"], "      "
    lines = ["    <event>\n",
             _attribute("string", "concept:name", doc["type"].rsplit(".", 1)[0], indent),
             _attribute("date", "time:timestamp", _xes_time(doc["time"]), indent),
             _attribute("string", "lifecycle:transition", "complete", indent),
             _attribute("string", "org:resource", actor_of(doc["source"], data), indent),
             _attribute("id", "identity:id", doc["id"], indent),
             _attribute("string", "jiesu:type", doc["type"], indent)]
    if (department := department_of(data)) is not None:
        lines.append(_attribute("string", "org:group", department, indent))
    for key, value in event_attributes(data).items():
        lines.append(_attribute("int" if isinstance(value, int) else "string", f"jiesu:{key}", value, indent))
    if isinstance(data.get("task_id"), str):
        lines.append(_attribute("string", "jiesu:task_id", data["task_id"], indent))
    lines.append("    </event>\n")
    out.write("".join(lines))


def _xes_time(iso: str) -> str:
    # 2026-11-01T08:00:00Z → 2026-11-01T08:00:00.000+00:00 (xs:dateTime with milliseconds, as XES tools expect)
    stamp = iso.replace("Z", "+00:00")
    date_time, offset = stamp[:-6], stamp[-6:]
    if "." in date_time:
        head, fraction = date_time.split(".", 1)
        return f"{head}.{(fraction + '000')[:3]}{offset}"
    return f"{date_time}.000{offset}"
