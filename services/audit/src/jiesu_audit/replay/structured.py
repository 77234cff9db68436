"""XES and OCEL from the staged events, each in a pass of its own over them by case: once every event is
staged the two are independent, so the replay writes one in each of its two processes at the same time."""
from __future__ import annotations

from pathlib import Path

from jiesu_audit.replay.ocel import OcelWriter
from jiesu_audit.replay.reading import read_case
from jiesu_audit.replay.staging import Staging
from jiesu_audit.replay.xes import XesWriter


def write_xes(staging: Staging, path: Path) -> dict[str, int]:
    """One trace per case (events about no case are in no trace); the counts (traces, events)."""
    xes = XesWriter(path)
    for case_id, docs in staging.by_case():
        if case_id is not None:
            xes.trace(case_id, staging.case_attributes(case_id), read_case(docs, staging.rules))
    xes.close()
    return {"traces": xes.traces, "events": xes.events}


def write_ocel(staging: Staging, path: Path) -> None:
    ocel = OcelWriter(path, staging)
    for _, docs in staging.by_case():
        ocel.events_of(read_case(docs, staging.rules))
    ocel.close()
