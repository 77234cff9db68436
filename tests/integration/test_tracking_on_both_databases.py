"""Tracking contract: the tracking row and the handler's writes commit together, on SQLite and PostgreSQL."""
from __future__ import annotations

from sqlmodel import select

from jiesu_shared.bus.port import Record
from jiesu_shared.consumer import ConsumerRunner
from jiesu_shared.events import decode_record
from jiesu_shared.store import Database, ProcessedEvent
from tests.contract.test_storage_contract import RecordingPublisher
from tests.integration.test_consumer_runner import case_received, remember, seen


def as_record(offset: int, text: str) -> Record:
    out = case_received("case-T", text)
    return Record("t", 0, offset, out.key, out.value, out.headers, 0)


async def test_handler_writes_and_tracking_commit_together_or_not_at_all(database: Database) -> None:
    runner = ConsumerRunner(group="g", bus=None, topic="t", dead_letter_topic="t.dlq",  # type: ignore[arg-type]
                            database=database, handlers={"case.received.v1": remember}, retry_pause=0.01)
    dead_letters = RecordingPublisher()
    good, bad = as_record(0, "kept"), as_record(1, "explode")
    for record in (good, good, bad):  # the good one is redelivered once
        await runner.process(record, dead_letters)

    assert seen(database, "case-T") == ["kept"]
    with database.transaction() as s:
        tracked = {p.event_id for p in s.exec(select(ProcessedEvent)).all()}
    assert tracked == {decode_record(good.headers, good.value).id}  # the failed one is not marked handled
    assert [r.value for r in dead_letters.published] == [bad.value]
