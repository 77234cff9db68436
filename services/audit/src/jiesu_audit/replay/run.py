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

from tqdm import tqdm

from jiesu_audit.domain.deidentify import Deidentifier
from jiesu_audit.replay.flat import FlatWriters
from jiesu_audit.replay.ocel import write_ocel
from jiesu_audit.replay.sources import Item
from jiesu_audit.replay.staging import Staging, case_of
from jiesu_audit.replay.xes import write_xes

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

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "events": self.events, "duplicates": self.duplicates, "cases": self.cases,
                "objects": self.objects,
                "poison": {"count": len(self.poison), "records": self.poison}, "files": self.files,
                "pseudonym_key": self.pseudonym_key}


def cloudevent(item: Item, deidentifier: Deidentifier) -> dict[str, Any]:
    """The de-identified event in CloudEvents structured mode (trace context left out: not research data)."""
    e = item.envelope
    assert e is not None
    return {"specversion": e.specversion, "id": e.id, "source": e.source, "type": e.type, "subject": e.subject,
            "time": e.time.isoformat().replace("+00:00", "Z"), "datacontenttype": e.datacontenttype,
            "sequence": e.sequence, "correlationid": e.correlationid, "causationid": e.causationid,
            "data": deidentifier.data(e.data)}


async def replay(source: Source, out_dir: Path, *, key: bytes | None = None, formats=FORMATS,
                 progress: bool = True) -> ReplaySummary:
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = ReplaySummary(source=source.description)
    if key is not None:
        summary.pseudonym_key = "given by the caller"
    deidentifier = Deidentifier(key or secrets.token_bytes(32))
    paths = {f: out_dir / FILES[f] for f in formats}
    staging = Staging(out_dir / ".replay-staging.sqlite3")
    writers = FlatWriters(paths.get("jsonl"), paths.get("parquet"))
    try:
        total = await source.total()
        with tqdm(total=total, unit="ev", desc="replay", disable=not progress, mininterval=0.5) as bar:
            async for item in source.items():
                _take(item, deidentifier, writers, staging, summary)
                bar.update(1)
        writers.close()
        staging.close()
        _write_structured(staging, paths, summary)
    finally:
        staging.remove()
    summary.files = {f: p.name for f, p in paths.items()}
    (out_dir / "summary.json").write_text(json.dumps(summary.as_dict(), indent=2, sort_keys=True) + "\n")
    return summary


def _take(item: Item, deidentifier: Deidentifier, writers: FlatWriters, staging: Staging,
          summary: ReplaySummary) -> None:
    if item.envelope is None:
        summary.poison.append(item.poison_report())
        return
    doc = cloudevent(item, deidentifier)
    if not staging.add(doc):
        summary.duplicates += 1
        return
    writers.add(item.partition, item.offset, doc, case_of(doc))
    summary.events += 1


def _write_structured(staging: Staging, paths: dict[str, Path], summary: ReplaySummary) -> None:
    summary.cases = staging.scalar("SELECT COUNT(DISTINCT case_id) FROM events WHERE case_id IS NOT NULL")
    summary.objects = staging.scalar("SELECT COUNT(*) FROM objects")
    if "xes" in paths:
        write_xes(staging, paths["xes"])
    if "ocel" in paths:
        write_ocel(staging, paths["ocel"])
