"""Intake's group commit, on SQLite and PostgreSQL: the cases of one batch share a transaction, yet each
is decided as if the ones before it had committed, and one bad case fails alone."""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from sqlmodel import select

from jiesu_shared.catalogue.common import Place
from jiesu_shared.events import utc_now
from jiesu_shared.store import Database, EventStore, OutboxEntry, StoredEvent
from jiesu_shared.store.idempotency import IdempotencyKeyReused

from jiesu_intake.bootstrap import build_app
from jiesu_intake.config import IntakeSettings
from jiesu_intake.group_commit import GroupCommit
from jiesu_intake.readmodel import CaseRow
from jiesu_intake.handlers import IntakeService
from jiesu_intake.receiving import IdempotencyKey, NewCase, PreparedCase, Received, prepare
from tests.support.staff import STAFF, as_role

STORE = EventStore(source="/jiesu/intake", topic="cases")
TAXONOMY = IntakeSettings().taxonomy()
LIFT = Place(district="Haidian", street="Zhongguancun", community="Huangzhuang")


def case(text: str = "小区电梯坏了 the lift is broken", *, place: Place = LIFT, channel: str = "hotline",
         key: IdempotencyKey | None = None) -> PreparedCase:
    new = NewCase(channel=channel, text=text, place=place, received_at=utc_now())  # type: ignore[arg-type]
    return prepare(TAXONOMY, new, key)


class HeldWriter:
    """A group commit whose first batch waits at a gate, so that what is submitted meanwhile forms the
    second batch: a deterministic way to put chosen cases into one transaction."""

    def __init__(self, database: Database) -> None:
        self.record = IntakeService(database=database, store=STORE, taxonomy=TAXONOMY,
                                    duplicate_window=timedelta(hours=72)).record
        self.taken = threading.Event()
        self.gate = threading.Event()
        self.batches: list[int] = []
        self.writer: GroupCommit[PreparedCase, Received] = GroupCommit(self._write, name="test")

    def _write(self, cases: Sequence[PreparedCase]) -> list[Received | Exception]:
        self.taken.set()
        assert self.gate.wait(timeout=20), "the test never opened the gate"
        self.batches.append(len(cases))
        return self.record(cases)

    def batch_after(self, first: PreparedCase, *rest: PreparedCase) -> list[Future]:
        futures = [self.writer.submit(first)]
        assert self.taken.wait(timeout=20), "the writer never took the first case"
        futures += [self.writer.submit(c) for c in rest]
        self.gate.set()
        return futures

    def __enter__(self) -> HeldWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.gate.set()
        self.writer.stop()


def outcome(future: Future) -> Received | BaseException:
    try:
        return future.result(timeout=20)
    except Exception as exc:
        return exc


def test_one_bad_case_in_a_batch_fails_alone_and_the_others_are_recorded(database: Database) -> None:
    with HeldWriter(database) as held:
        futures = held.batch_after(case("first"), case("second"), case("bad", channel="carrier_pigeon"),
                                   case("third"))
        first, second, bad, third = (outcome(f) for f in futures)
    assert isinstance(bad, ValidationError)
    assert held.batches == [1, 3, 1, 1, 1]  # the batch of three failed as a whole, then each went alone
    recorded = [first, second, third]
    assert all(isinstance(r, Received) and not r.replayed for r in recorded)
    with database.reading() as s:
        rows = {r.case_id: r.text for r in s.exec(select(CaseRow))}
        streams = [e.stream_id for e in s.exec(select(StoredEvent).order_by(StoredEvent.position))]
        outbox = len(s.exec(select(OutboxEntry)).all())
    assert rows == {r.case_id: t for r, t in zip(recorded, ["first", "second", "third"])}  # type: ignore[union-attr]
    assert streams == [f"case-{r.case_id}" for r in recorded] and outbox == 3  # type: ignore[union-attr]


def test_cases_in_one_batch_see_each_other_as_earlier_cases_and_answered_keys(database: Database) -> None:
    elsewhere = Place(district="Xicheng", street="Shichahai", community="Yandai")
    key = IdempotencyKey(scope="cases", key="k-1", fingerprint="fp-1")
    with HeldWriter(database) as held:
        futures = held.batch_after(
            case("酒吧噪音扰民", place=elsewhere),
            case(key=key), case("电梯又坏了 lift broken again"), case(key=key),
            case(key=IdempotencyKey(scope="cases", key="k-1", fingerprint="another body")))
        _, lift, again, replay, reused = (outcome(f) for f in futures)
    assert held.batches == [1, 4]
    assert isinstance(lift, Received) and isinstance(again, Received) and isinstance(replay, Received)
    assert lift.row is not None and lift.row.duplicate_of is None
    assert again.row is not None and again.row.duplicate_of == lift.case_id  # earlier in the same batch
    assert replay.replayed and replay.case_id == lift.case_id and replay.row is None
    assert isinstance(reused, IdempotencyKeyReused)
    with database.reading() as s:
        assert s.get(CaseRow, again.case_id).duplicate_of == lift.case_id  # type: ignore[union-attr]
        types = [e.type for e in STORE.load(s, f"case-{again.case_id}")]
    assert types == ["case.received.v1", "case.linked_as_duplicate.v1"]
    with HeldWriter(database) as later:  # the key stays answered in later transactions
        assert outcome(later.batch_after(case(key=key))[0]).case_id == lift.case_id  # type: ignore[union-attr]


def test_concurrent_posts_answer_what_a_read_shows_and_link_duplicates_to_one_case(tmp_path: Path) -> None:
    settings = IntakeSettings(embedded_log_path=str(tmp_path / "log.sqlite3"), topic="cases",
                              database_url=f"sqlite:///{tmp_path}/intake.sqlite3", staff=STAFF)
    body = {"text": "小区电梯坏了 the lift is broken", "channel": "hotline", "place": LIFT.model_dump()}
    answers, reads = asyncio.run(_post_concurrently(settings, [body] * 24))
    assert all(a.status_code == 201 for a in answers)
    assert [a.json() for a in answers] == reads  # the answer is the row as committed, as a read shows it
    originals = [a.json()["case_id"] for a in answers if a.json()["duplicate_of"] is None]
    assert len(originals) == 1
    assert all(a.json()["duplicate_of"] == originals[0] for a in answers if a.json()["case_id"] != originals[0])


async def _post_concurrently(settings: IntakeSettings, bodies: list[dict]) -> tuple[list[httpx.Response], list[dict]]:
    app = build_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake",
                                     headers=as_role("intake")) as client:
            answers = await asyncio.gather(*(client.post("/cases", json=b) for b in bodies))
            reads = [(await client.get(f"/cases/{a.json()['case_id']}")).json() for a in answers]
    return list(answers), reads


@pytest.mark.parametrize("fails", [False, True])
def test_a_failing_write_never_leaves_a_caller_waiting(fails: bool) -> None:
    def write(items: Sequence[int]) -> list[int | Exception]:
        if fails:
            raise RuntimeError("the database is away")
        return [i * 2 for i in items]

    writer: GroupCommit[int, int] = GroupCommit(write, name="test")
    try:
        futures = [writer.submit(i) for i in range(5)]
        results = [outcome(f) for f in futures]
    finally:
        writer.stop()
    if fails:
        assert all(isinstance(r, RuntimeError) for r in results)
    else:
        assert results == [0, 2, 4, 6, 8]
