"""One replay: read a bounded log, de-identify each event, write every export, report what was found.

Deterministic: the same log and the same pseudonym key give byte-identical files (the order is the
log's; nothing depends on the clock, the machine or hash seeds). Without a key file, a fresh random
key is used and forgotten, so pseudonyms cannot be linked across exports — which is the point.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import orjson
from tqdm import tqdm

from jiesu_shared.collector import rare_collections
from jiesu_audit.replay.decoding import Decoded, decoded
from jiesu_audit.replay.flat import columns
from jiesu_audit.replay.scrubbing import ReplayDeidentifier as Deidentifier
from jiesu_audit.replay.slim import slim
from jiesu_audit.replay.stager import Outputs, Sent, Staged, Stager
from jiesu_audit.replay.staging import Staging, case_of
from jiesu_audit.replay.structured import Structured, join_halves, remove_parts, write_first_half

FORMATS = ("jsonl", "parquet", "xes", "ocel")
FILES = {"jsonl": "events.jsonl", "parquet": "events.parquet", "xes": "events.xes", "ocel": "events.ocel.json"}


class Source(Protocol):
    description: str

    async def total(self) -> int: ...
    def items(self): ...


@dataclass
class ReplaySummary:
    source: str
    events: int = 0
    duplicates: int = 0  # the same event id again (at-least-once delivery): exported once
    cases: int = 0
    objects: int = 0
    poison: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    pseudonym_key: str = "random, discarded after the export"
    about_no_case: int = 0  # directory, routing rules, a meeting's own events: in JSONL, Parquet, OCEL only
    xes: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "events": self.events, "duplicates": self.duplicates, "cases": self.cases,
                "objects": self.objects,
                "poison": {"count": len(self.poison), "records": self.poison}, "files": self.files,
                "pseudonym_key": self.pseudonym_key, "accounting": self.accounting()}

    def accounting(self) -> dict[str, Any]:
        """Where every record read went, so that each file's count can be checked against the log's."""
        in_cases = self.events - self.about_no_case
        account: dict[str, Any] = {
            "records_read": self.events + self.duplicates + len(self.poison),
            "exported_once": self.events, "redelivered_duplicates_skipped": self.duplicates,
            "poison_skipped": len(self.poison),
            "jsonl_parquet_ocel_events": self.events,
            "about_no_case": {"count": self.about_no_case, "why": (
                "directory entries, routing tables and a meeting's own convening and adjournment name no "
                "single case: they are in JSONL, Parquet and OCEL, and in no XES trace")}}
        if self.xes:
            account["xes"] = {**self.xes, "other_lines_of_work": {
                "count": in_cases - self.xes["events"], "why": (
                    "supporting tasks, whistle report-ins, meeting tasks and whistles run beside a case's lead "
                    "line; a trace holds the lead line only, so that departments in direct succession are a "
                    "hand-over of the case. These events are in JSONL, Parquet and OCEL")}}
        return account


async def replay(source: Source, out_dir: Path, *, key: bytes | None = None, formats=FORMATS,
                 progress: bool = True) -> ReplaySummary:
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = ReplaySummary(source=source.description)
    if key is not None:
        summary.pseudonym_key = "given by the caller"
    deidentifier = Deidentifier(key if key is not None else secrets.token_bytes(32))  # a given key must do
    paths = {f: out_dir / FILES[f] for f in formats}
    with rare_collections():
        await _export(source, deidentifier, paths, out_dir / ".replay-staging.sqlite3", summary, progress)
    summary.files = {f: p.name for f, p in paths.items()}
    (out_dir / "summary.json").write_text(json.dumps(summary.as_dict(), indent=2, sort_keys=True) + "\n")
    return summary


async def _export(source: Source, deidentifier: Deidentifier, paths: dict[str, Path], staging_path: Path,
                  summary: ReplaySummary, progress: bool) -> None:
    """Every file asked for, the counts in `summary`."""
    halves = Structured(paths.get("xes"), paths.get("ocel"))
    stager = Stager(Outputs(staging_path, paths.get("jsonl"), paths.get("parquet"), halves))
    try:
        await _read_all(source, deidentifier, stager, summary, progress, parquet="parquet" in paths)
        staged = stager.staged()
        summary.events, summary.duplicates, summary.cases = staged.events, staged.duplicates, staged.cases
        summary.objects, summary.about_no_case = staged.objects, staged.about_no_case
        first = _write_first_half(staging_path, staged, halves)
        second = stager.done()
        join_halves(halves)
        summary.xes = {k: first[k] + second[k] for k in first}
    finally:
        stager.close()
        staging_path.unlink(missing_ok=True)
        remove_parts(halves)


def _write_first_half(staging_path: Path, staged: Staged, halves: Structured) -> dict[str, int]:
    """Here, while the stager writes the second half."""
    if halves.xes is None and halves.ocel is None:
        return {}
    staging = Staging.reopened(staging_path, staged.rules)
    try:
        return write_first_half(staging, halves)
    finally:
        staging.db.close()


async def _read_all(source: Source, deidentifier: Deidentifier, stager: Stager, summary: ReplaySummary,
                    progress: bool, *, parquet: bool) -> None:
    total = await source.total()
    with tqdm(total=total, unit="ev", desc="replay", disable=not progress, mininterval=0.5) as bar:
        async for records in decoded(source, deidentifier):
            kept, lines, slims, cases, data_jsons = [], [], [], [], []
            for record in records:
                if record.doc is None:
                    summary.poison.append(record.poison)
                    continue
                line, slimmed, case_id, data_json = _prepared(record)
                kept.append(record)
                lines.append(line)
                slims.append(slimmed)
                cases.append(case_id)
                data_jsons.append(data_json)
            if lines:
                stager.send(Sent(lines, slims, cases, columns(kept, cases, data_jsons) if parquet else None))
            bar.update(len(records))
        bar.update(total - bar.n)


def _prepared(record: Decoded) -> tuple[bytes, bytes, str | None, bytes]:
    """The event's JSON line, its slim form, its case and its data as JSON: serialised once for JSON Lines and
    Parquet."""
    doc = record.doc
    assert doc is not None
    data = doc["data"]
    data_json = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    doc["data"] = orjson.Fragment(data_json)
    line = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
    doc["data"] = data
    return line, orjson.dumps(slim(doc)), case_of(doc), data_json
