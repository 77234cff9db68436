"""Dispatch handles the consumer's run of facts in one transaction and writes what they produce as it commits, one
statement per table: on SQLite and a real PostgreSQL the run ends exactly as one fact per transaction would, a
concurrent writer on one of its cases fails the whole commit (nothing half-written) and the facts are decided again
on what the winner wrote, and a fact that fails in the middle of a run is dead-lettered while the rest are handled."""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import BaseModel
from sqlmodel import Session, select

from jiesu_shared.bus.embedded import EmbeddedBus
from jiesu_shared.bus.port import OutgoingRecord
from jiesu_shared.catalogue.common import Place
from jiesu_shared.catalogue.intake import CaseReceived, CaseReclassified, CaseWithdrawn
from jiesu_shared.consumer import ConsumerRunner
from jiesu_shared.events import Envelope, encode_envelope, utc_now
from jiesu_shared.store import Database, ProcessedEvent
from jiesu_shared.store.event_store import ConcurrencyError
from jiesu_shared.store.tables import StoredEvent

from jiesu_dispatch.adapters.tables import BoardCaseRow, CaseSummaryRow, LedgerRow, TimerRow
from jiesu_dispatch.domain.commands import Assign
from jiesu_dispatch.handlers import case_stream
from jiesu_dispatch.messages import DispatchByHand
from tests.contract.test_bus_contract import collect, open_subscription, publish
from tests.integration.test_dispatch_directory import Instance as DirectoryInstance
from tests.support.waiting import eventually_async


class Instance(DirectoryInstance):
    """One dispatch instance on a database (as in the directory's tests), handed facts as the consumer does."""

    def consume(self, session: Session, facts: list[BaseModel]) -> None:
        """Hand dispatch facts as the consumer hands it a run: in one transaction, one after the other."""
        for fact in facts:
            self.bus.consume(session, envelope(fact), fact)


def envelope(fact: BaseModel) -> Envelope:
    return Envelope(id=str(uuid.uuid4()), source="/jiesu/intake", type=fact.__event_type__,  # type: ignore[attr-defined]
                    subject=fact.case_id, time=utc_now(), sequence=1, correlationid=str(uuid.uuid4()),  # type: ignore[attr-defined]
                    data=fact.model_dump(mode="json"))


def received(case_id: str) -> CaseReceived:
    return CaseReceived(case_id=case_id, channel="hotline", text="供暖不热 no heating", category="heating",
                        place=Place(district="Dongcheng", street="Jingshan"), received_at=datetime.now(UTC))


def reclassified(case_id: str) -> CaseReclassified:
    return CaseReclassified(case_id=case_id, category="street_lighting", urgency="normal", reason="a lamp",
                            operator="op-1")


def story(database: Database, case_ids: list[str]) -> dict[str, dict]:
    """What a coordinator and the log see of each case: its events, ledger, summary, board row and clocks."""
    with database.reading() as session:
        return {case_id: {
            "events": [(v, t) for v, t in session.exec(select(StoredEvent.version, StoredEvent.type).where(
                StoredEvent.stream_id == case_stream(case_id)).order_by(StoredEvent.version)).all()],
            "ledger": [(n, t, own) for n, t, own in session.exec(select(LedgerRow.n, LedgerRow.type, LedgerRow.own).where(
                LedgerRow.stream_id == case_stream(case_id)).order_by(LedgerRow.n)).all()],
            "summary": session.exec(select(CaseSummaryRow.status, CaseSummaryRow.category, CaseSummaryRow.lead_department)
                                    .where(CaseSummaryRow.case_id == case_id)).all(),
            "board": session.exec(select(BoardCaseRow.status, BoardCaseRow.category)
                                  .where(BoardCaseRow.case_id == case_id)).all(),
            "clocks": len(session.exec(select(TimerRow.timer_id).where(TimerRow.case_id == case_id)).all()),
        } for case_id in case_ids}


def test_a_run_with_two_facts_about_one_case_ends_as_one_fact_per_transaction_would(
        database: Database, tmp_path: Path) -> None:
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    facts: list[BaseModel] = [received(a), received(b), reclassified(a), CaseWithdrawn(case_id=b, reason="solved")]
    in_a_run = Instance(database)
    with database.transaction() as session:
        in_a_run.consume(session, facts)
    one_by_one = Instance(Database(f"sqlite:///{tmp_path}/one-by-one.sqlite3"))
    one_by_one.database.create_schema()
    for fact in facts:
        with one_by_one.database.transaction() as session:
            one_by_one.consume(session, [fact])

    ran = story(database, [a, b])
    assert ran == story(one_by_one.database, [a, b])
    assert [t for _, t in ran[a]["events"]] == ["case.dispatched.v1", "task.offered.v1", "task.cancelled.v1",
                                                "case.dispatched.v1", "task.offered.v1"]
    assert [v for v, _ in ran[a]["events"]] == [1, 2, 3, 4, 5]
    assert ran[a]["summary"][0][:2] == ("open", "street_lighting") and ran[a]["board"] == [("open", "street_lighting")]
    assert ran[b]["summary"][0][0] == "closed" and ran[b]["board"] == []  # withdrawn: off the board


def test_a_query_in_the_run_sees_what_its_facts_wrote(database: Database) -> None:
    case_id = str(uuid.uuid4())
    with database.transaction() as session:
        Instance(database).consume(session, [received(case_id)])
        offered = session.exec(select(StoredEvent.type).where(StoredEvent.stream_id == case_stream(case_id))).all()
    assert offered == ["case.dispatched.v1", "task.offered.v1"]


def test_a_concurrent_writer_fails_the_whole_run_and_the_facts_are_decided_again_on_its_events(
        postgres_database_url: str) -> None:
    database = Database(postgres_database_url)
    database.create_schema()
    consumer, coordinator = Instance(database), Instance(Database(postgres_database_url))
    known, new = str(uuid.uuid4()), str(uuid.uuid4())
    with database.transaction() as session:
        consumer.consume(session, [received(known)])
    run = [reclassified(known), received(new)]
    with pytest.raises(ConcurrencyError), database.transaction() as session:
        consumer.consume(session, run)  # loaded and decided, not yet written ...
        coordinator.bus.handle(DispatchByHand(known, Assign("street-office", (), "wang.li", "by hand")))
    assert story(database, [new])[new]["ledger"] == []  # nothing of the run was written

    with database.transaction() as session:  # the consumer's next attempt
        consumer.consume(session, run)
    events = story(database, [known])[known]["events"]
    assert [v for v, _ in events] == list(range(1, len(events) + 1))
    assert [t for _, t in events][2:5] == ["task.cancelled.v1", "case.dispatched.v1", "task.offered.v1"]  # by hand
    assert story(database, [known])[known]["summary"][0][1] == "street_lighting"
    assert story(database, [new])[new]["events"] != []
    coordinator.database.dispose()
    database.dispose()


def record(topic: str, fact: BaseModel) -> OutgoingRecord:
    key, headers, value = encode_envelope(envelope(fact))
    return OutgoingRecord(topic, key, value, tuple(headers))


async def test_a_fact_failing_mid_run_is_dead_lettered_and_the_others_handled_once(
        database: Database, tmp_path: Path) -> None:
    bus, topic, unlucky = EmbeddedBus(tmp_path / "log.sqlite3"), "cases", str(uuid.uuid4())
    await bus.ensure_topics([topic, topic + ".dlq"])
    instance = Instance(database)
    cases = [str(uuid.uuid4()) for _ in range(4)]

    def failing_on_unlucky(handle: Callable) -> Callable:
        def handler(session: Session, env: Envelope, payload: BaseModel) -> None:
            if payload.case_id == unlucky:  # type: ignore[attr-defined]
                raise RuntimeError("a bug met this fact")
            handle(session, env, payload)
        return handler

    runner = ConsumerRunner(group="dispatch.cases", bus=bus, topic=topic, dead_letter_topic=topic + ".dlq",
                            database=database, retry_pause=0.01,
                            handlers={k: failing_on_unlucky(h) for k, h in instance.bus.consumed().items()})
    facts = [received(cases[0]), received(cases[1]), received(unlucky), reclassified(cases[0]), received(cases[2]),
             received(cases[3]), CaseWithdrawn(case_id=cases[1], reason="solved")]
    await publish(bus, [record(topic, f) for f in facts])
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))

    def handled() -> bool:
        with database.reading() as session:
            return len(session.exec(select(ProcessedEvent.event_id)).all()) == len(facts) - 1
    await eventually_async(lambda: asyncio.to_thread(handled), what="every fact but the failing one")
    dead = await open_subscription(bus, "dlq-reader", topic + ".dlq")
    (letter,) = await collect(dead, 1)
    await dead.stop()
    stop.set()
    await running

    assert letter.key == unlucky.encode() and letter.header("dlq_reason").decode().startswith("handler failed")
    seen = story(database, [*cases, unlucky])
    assert seen[unlucky]["ledger"] == [] and seen[unlucky]["summary"] == []
    assert [t for _, t in seen[cases[0]]["events"]][2:] == ["task.cancelled.v1", "case.dispatched.v1",
                                                            "task.offered.v1"]  # reclassified once, not twice
    assert seen[cases[1]]["summary"][0][0] == "closed"
    assert all([t for _, t in seen[c]["events"]] == ["case.dispatched.v1", "task.offered.v1"] for c in cases[2:])
