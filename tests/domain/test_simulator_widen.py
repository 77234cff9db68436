"""A widened district (the 1,000,000-case benchmark's log) is as lawful as the simulated one it copies: each
copy's cases are new cases with new ids, and audit folds each copy exactly as it folds the original."""
from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

from jiesu_shared.bus.embedded import EmbeddedBus
from jiesu_shared.catalogue import parse_payload

from jiesu_audit.domain.history import fold
from jiesu_audit.replay.sources import from_stored_record
from jiesu_simulator.bench.widen import MAX_COPIES, copy_of, widen
from jiesu_simulator.offline import generate
from jiesu_simulator.sinks import publish_to_bus

TOPIC, COPIES = "jiesu.case-events", 3


def events_of(log: Path) -> list:
    with closing(sqlite3.connect(log)) as conn:
        rows = conn.execute("SELECT offset, headers, value FROM records ORDER BY offset").fetchall()
    assert [offset for offset, _, _ in rows] == list(range(len(rows)))  # offsets without a gap
    return [from_stored_record(offset, headers, value).envelope for offset, headers, value in rows]


def test_each_copy_is_a_new_lawful_district_folded_as_the_original(tmp_path: Path) -> None:
    source, wider = tmp_path / "district.sqlite3", tmp_path / "wider.sqlite3"
    asyncio.run(publish_to_bus(generate(cases=150, seed=3), EmbeddedBus(source), TOPIC))
    original = events_of(source)
    assert widen(source, wider, COPIES) == COPIES * len(original)
    widened = events_of(wider)
    assert None not in widened
    for envelope in widened:
        parse_payload(envelope.type, envelope.data)
    assert all(a.time <= b.time for a, b in zip(widened, widened[1:]))  # still in time order
    assert len({e.id for e in widened}) == len(widened)  # no event id repeated across copies
    histories, wider_histories = fold(original), fold(widened)
    assert len(wider_histories) == COPIES * len(histories)
    for copy in range(COPIES):
        for case_id, history in histories.items():
            twin = wider_histories[copy_of(case_id.encode(), copy).decode()]
            assert repr(twin) == copy_of(repr(history).encode(), copy).decode()  # every fact, ids renamed


def test_every_copy_renames_ids_apart_from_every_other_copy() -> None:
    ids = [e.id.encode() for e in generate(cases=20, seed=5)]
    renamed = {copy_of(i, copy) for i in ids for copy in range(MAX_COPIES)}
    assert len(renamed) == len(ids) * MAX_COPIES
    assert [copy_of(i, 0) for i in ids] == ids  # the original keeps its ids
