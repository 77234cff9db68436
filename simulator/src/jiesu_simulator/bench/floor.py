"""What a goal leaves room for: the least CPython spends on the steps a path cannot skip, on the same district
log as the real path's benchmark, so the two can be set side by side.

- The catch-up's floor: read the log's rows in stretches (as audit's catch-up does), decode the headers and
  data, check the payload against the catalogue, and insert one timeline row per event into a fresh SQLite
  file (no index, a commit per stretch). No history is folded, no fact row written, no index built.
- The export's floor: read and decode the same way, de-identify the data with the export's own
  de-identifier, and write one JSON line per event: one format, where the export writes four.

Each is timed by the CPU time of this process, step by step, and by the wall clock."""
from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import orjson

from jiesu_shared.bus.headers import text_header_map
from jiesu_shared.catalogue import UnknownEventType, parse_payload

from jiesu_audit.replay.scrubbing import ReplayDeidentifier

_STRETCH = 10_000  # records read at a time, as the catch-up reads them
_TIMELINE = ("CREATE TABLE timeline (id INTEGER PRIMARY KEY, case_id TEXT, event_id TEXT, type TEXT, source TEXT, "
             "sequence INTEGER, time TEXT, correlation_id TEXT, causation_id TEXT, traceparent TEXT, data TEXT)")
_INSERT = ("INSERT INTO timeline (case_id, event_id, type, source, sequence, time, correlation_id, causation_id, "
           "traceparent, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


class _Steps:
    """CPU seconds per named step, and the events they were spent on."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.events = 0

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.process_time()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.process_time() - started

    def row(self, wall: float, cpu: float, stored: int) -> dict[str, Any]:
        """`stored`: the rows or lines the path wrote, one per event when it did its work for each."""
        return {"events": self.events, "stored": stored, "per_s": round(self.events / wall),
                "per_cpu_s": round(self.events / cpu),
                **{f"us_{step}": round(s / self.events * 1e6, 1) for step, s in self.seconds.items()}}


def _stretches(log: Path, topic: str, steps: _Steps) -> Iterator[list[tuple[dict[str, str], Any, bytes]]]:
    """Each stretch's records as (headers, data, the data's bytes), read and decoded (steps "read", "decode")."""
    with closing(sqlite3.connect(f"file:{log}?mode=ro", uri=True)) as conn:
        position = 0
        while True:
            with steps.step("read"):
                rows = conn.execute("SELECT offset, value, headers FROM records WHERE topic = ? AND offset >= ? "
                                    "ORDER BY offset LIMIT ?", (topic, position, _STRETCH)).fetchall()
            if not rows:
                return
            position = rows[-1][0] + 1
            steps.events += len(rows)
            with steps.step("decode"):
                stretch = [(text_header_map(h), orjson.loads(v), v) for _, v, h in rows]
            yield stretch


def _checked_rows(stretch: list[tuple[dict[str, str], Any, bytes]]) -> list[tuple]:
    rows = []
    for headers, data, value in stretch:
        try:
            parse_payload(headers["ce_type"], data)
        except UnknownEventType:
            pass
        rows.append((headers.get("ce_subject"), headers["ce_id"], headers["ce_type"], headers["ce_source"],
                     int(headers["ce_sequence"]), headers["ce_time"], headers.get("ce_correlationid"),
                     headers.get("ce_causationid"), headers.get("ce_traceparent"), value.decode()))
    return rows


def catch_up_floor(log: Path, topic: str) -> dict[str, Any]:
    steps = _Steps()
    with tempfile.TemporaryDirectory(prefix="jiesu-floor-") as scratch, \
            closing(sqlite3.connect(Path(scratch) / "timeline.sqlite3", isolation_level=None)) as out:
        out.execute("PRAGMA journal_mode=WAL")
        out.execute("PRAGMA synchronous=NORMAL")  # as the catch-up writes
        out.execute(_TIMELINE)
        wall, cpu = time.perf_counter(), time.process_time()
        for stretch in _stretches(log, topic, steps):
            with steps.step("check_and_row"):
                rows = _checked_rows(stretch)
            with steps.step("insert"):
                out.execute("BEGIN")
                out.executemany(_INSERT, rows)
                out.execute("COMMIT")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        return steps.row(wall, cpu, out.execute("SELECT COUNT(*) FROM timeline").fetchone()[0])


def export_floor(log: Path, topic: str) -> dict[str, Any]:
    steps = _Steps()
    deidentifier = ReplayDeidentifier(os.urandom(32))
    with tempfile.TemporaryDirectory(prefix="jiesu-floor-") as scratch:
        lines = Path(scratch) / "events.jsonl"
        with lines.open("wb") as out:
            wall, cpu = time.perf_counter(), time.process_time()
            for stretch in _stretches(log, topic, steps):
                with steps.step("deidentify"):
                    scrubbed = [(h, deidentifier.data(d)) for h, d, _ in stretch]
                with steps.step("write"):
                    out.write(b"".join(orjson.dumps({"id": h["ce_id"], "type": h["ce_type"], "source": h["ce_source"],
                                                     "time": h["ce_time"], "subject": h.get("ce_subject"), "data": d})
                                       + b"\n" for h, d in scrubbed))
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        with lines.open("rb") as written:
            return steps.row(wall, cpu, sum(1 for _ in written))
