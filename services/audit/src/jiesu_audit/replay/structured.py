"""XES and OCEL from the staged events, in one pass over them by case that feeds both, split in two halves
of the cases written at the same time in the replay's two processes, then joined: the first half (and the
events about no case) starts XES and holds OCEL's first events; the second writes OCEL's types and objects,
then the rest of both files. The joined files are the ones a single pass would write, byte for byte."""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jiesu_audit.replay.ocel import FOOTER, OcelEvents, write_head
from jiesu_audit.replay.reading import read_case
from jiesu_audit.replay.staging import Staging
from jiesu_audit.replay.xes import XesWriter


@dataclass
class Structured:
    xes: Path | None
    ocel: Path | None

    def part(self, name: str) -> Path:
        assert self.ocel is not None or self.xes is not None
        return (self.xes or self.ocel).with_name(f".replay-{name}.part")  # type: ignore[union-attr]


def write_first_half(staging: Staging, paths: Structured) -> dict[str, int]:
    """XES's start and the first half's traces; OCEL's first events, to a part file. The XES counts."""
    xes = XesWriter(paths.xes, last=False) if paths.xes is not None else None
    ocel = OcelEvents(paths.part("ocel-1"), follows=False) if paths.ocel is not None else None
    middle = staging.middle_case()
    groups = staging.by_case(before=middle) if middle is not None else staging.by_case()
    return _write(staging, groups, xes, ocel)


def write_second_half(staging: Staging, paths: Structured) -> dict[str, int]:
    """OCEL's head to its file, the second half of both to part files. The XES counts of this half."""
    middle = staging.middle_case()
    if paths.ocel is not None:
        write_head(paths.ocel, staging)
    xes = XesWriter(paths.part("xes-2"), first=False) if paths.xes is not None else None
    follows = middle is not None and bool(staging.db.execute(  # the first half has events: this one follows
        "SELECT EXISTS (SELECT 1 FROM events WHERE case_id IS NULL OR case_id < ?)", (middle,)).fetchone()[0])
    ocel = OcelEvents(paths.part("ocel-2"), follows=follows) if paths.ocel is not None else None
    groups = staging.by_case(since=middle) if middle is not None else iter(())
    return _write(staging, groups, xes, ocel)


def join_halves(paths: Structured) -> None:
    """The second half's XES after the first's; OCEL's head, then both halves of its events, then its end."""
    if paths.xes is not None:
        _append(paths.xes, paths.part("xes-2"))
    if paths.ocel is not None:
        _append(paths.ocel, paths.part("ocel-1"), paths.part("ocel-2"))
        with paths.ocel.open("ab") as out:
            out.write(FOOTER)


def remove_parts(paths: Structured) -> None:
    if paths.xes is not None or paths.ocel is not None:
        for name in ("xes-2", "ocel-1", "ocel-2"):
            paths.part(name).unlink(missing_ok=True)


def _write(staging: Staging, groups: Iterator[tuple[str | None, list[dict[str, Any]]]], xes: XesWriter | None,
           ocel: OcelEvents | None) -> dict[str, int]:
    for case_id, docs in groups:
        readings = read_case(docs, staging.rules)
        if xes is not None and case_id is not None:
            xes.trace(case_id, staging.case_attributes(case_id), readings)
        if ocel is not None:
            ocel.events_of(readings)
    if ocel is not None:
        ocel.close()
    if xes is None:
        return {}
    xes.close()
    return {"traces": xes.traces, "events": xes.events}


def _append(path: Path, *parts: Path) -> None:
    with path.open("ab") as out:
        for part in parts:
            with part.open("rb") as source:
                shutil.copyfileobj(source, out, 1 << 20)
            part.unlink()

