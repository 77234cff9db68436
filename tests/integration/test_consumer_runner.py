"""The consumer runner on each real bus: dead-lettering, idempotency, and carrying on."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from sqlmodel import Session, select

from jiesu_shared.bus.port import Bus, OutgoingRecord, Record
from jiesu_shared.catalogue.common import Place
from jiesu_shared.catalogue.intake import CaseReceived
from jiesu_shared.consumer import ConsumerRunner, Unprocessable
from jiesu_shared.events import Envelope, encode_envelope, new_event_id
from jiesu_shared.messagebus.retry import ATTEMPTS
from jiesu_shared.store import ConcurrencyError, Database, EventStore, ProcessedEvent
from tests.contract.test_bus_contract import collect, open_subscription, publish
from tests.support.waiting import eventually_async

STORE = EventStore(source="/jiesu/test-consumer", topic="unused")


def case_received(case_id: str, text: str = "broken street lamp", event_id: str | None = None) -> OutgoingRecord:
    payload = CaseReceived(case_id=case_id, channel="hotline", text=text, category="unclassified",
                           place=Place(district="Xicheng", street="Shichahai"), received_at=datetime.now(UTC))
    env = Envelope(id=event_id or new_event_id(), source="/jiesu/intake", type="case.received.v1", subject=case_id,
                   time=datetime.now(UTC), sequence=1, correlationid="corr", data=payload.model_dump(mode="json"))
    key, headers, value = encode_envelope(env)
    return OutgoingRecord("", key, value, tuple(headers))


def to(topic: str, record: OutgoingRecord) -> OutgoingRecord:
    return OutgoingRecord(topic, record.key, record.value, record.headers)


RACES_LOST: dict[str, int] = {}  # case id -> how often its handling lost a race so far


def remember(session: Session, envelope: Envelope, payload) -> None:  # type: ignore[no-untyped-def]
    """A handler with a visible effect: it writes a fact into the service's own store."""
    if payload.text.startswith("race "):  # "race N": another writer moves the stream under the first N tries
        lost = RACES_LOST[payload.case_id] = RACES_LOST.get(payload.case_id, 0) + 1
        if lost <= int(payload.text.split()[1]):
            raise ConcurrencyError(f"stream seen-{payload.case_id} moved on")
    if payload.text.startswith("explode"):
        raise KeyError(payload.text)  # a bug whose message quotes the event, as KeyErrors do
    if payload.text == "refuse":
        raise Unprocessable("no department can take this")
    STORE.append(session, stream_id=f"seen-{payload.case_id}", expected_version=STORE.version(
        session, f"seen-{payload.case_id}"), subject=payload.case_id, payloads=[payload], cause=envelope)


def seen(db: Database, case_id: str) -> list[str]:
    with db.transaction() as s:
        return [e.data["text"] for e in STORE.load(s, f"seen-{case_id}")]


@pytest.fixture
def service_db(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path}/consumer.sqlite3")
    db.create_schema()
    return db


@pytest.fixture
async def running(bus: Bus, topic: str, unique: str, service_db: Database) -> AsyncIterator[ConsumerRunner]:
    runner = ConsumerRunner(group=f"consumer-{unique}", bus=bus, topic=topic, dead_letter_topic=topic + ".dlq",
                            database=service_db, handlers={"case.received.v1": remember}, retry_pause=0.01)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    yield runner
    stop.set()
    await task


async def dead_letters(bus: Bus, topic: str, unique: str, count: int) -> list[Record]:
    sub = await open_subscription(bus, f"dlq-reader-{unique}", topic + ".dlq")
    try:
        return await collect(sub, count)
    finally:
        await sub.stop()


async def test_poison_record_is_dead_lettered_and_the_next_good_event_is_handled(
        bus: Bus, topic: str, unique: str, service_db: Database, running: ConsumerRunner) -> None:
    poison = OutgoingRecord(topic, b"case-P", b"\xff\xfe not an event", (("ce_id", b"x"),))
    await publish(bus, [poison, to(topic, case_received("case-G"))])

    await eventually_async(lambda: asyncio.to_thread(seen, service_db, "case-G"), what="the good event")
    (dead,) = await dead_letters(bus, topic, unique, 1)
    assert dead.value == b"\xff\xfe not an event"  # the original bytes, untouched
    assert dead.key == b"case-P"
    assert dead.header("dlq_reason").decode().startswith("undecodable: missing CloudEvents headers")
    assert dead.header("dlq_source_topic").decode() == topic
    assert int(dead.header("dlq_source_offset")) >= 0
    assert dead.header("dlq_consumer_group").decode() == running.group


async def test_an_invalid_payload_and_a_failing_handler_are_dead_lettered_with_reasons(
        bus: Bus, topic: str, unique: str, service_db: Database, running: ConsumerRunner) -> None:
    bad = case_received("case-X")
    bad = OutgoingRecord(topic, bad.key, b'{"case_id": "case-X"}', bad.headers)
    await publish(bus, [bad, to(topic, case_received("case-E", "explode")),
                        to(topic, case_received("case-R", "refuse")), to(topic, case_received("case-ok"))])

    await eventually_async(lambda: asyncio.to_thread(seen, service_db, "case-ok"), what="the event after failures")
    reasons = sorted(r.header("dlq_reason").decode().split(":")[0] for r in await dead_letters(bus, topic, unique, 3))
    assert reasons == ["handler failed after 3 attempts", "invalid payload", "unprocessable"]
    assert seen(service_db, "case-E") == []


async def test_a_version_conflict_is_retried_by_the_one_policy_and_dead_lettered_only_when_it_is_spent(
        bus: Bus, topic: str, unique: str, service_db: Database, running: ConsumerRunner) -> None:
    """A consumed event whose stream moved under it is decided again, as a command would be (messagebus.retry):
    a few lost races cost nothing; one that keeps losing goes to the dead-letter topic saying so."""
    await publish(bus, [to(topic, case_received(f"case-race-{unique}", "race 3")),
                        to(topic, case_received(f"case-storm-{unique}", f"race {ATTEMPTS * 10}")),
                        to(topic, case_received(f"case-after-{unique}"))])

    await eventually_async(lambda: asyncio.to_thread(seen, service_db, f"case-after-{unique}"), what="the last event")
    assert seen(service_db, f"case-race-{unique}") == ["race 3"]  # handled once, after three lost races
    (dead,) = await dead_letters(bus, topic, unique, 1)
    assert dead.key == f"case-storm-{unique}".encode()
    assert dead.header("dlq_reason").decode() == (
        f"handler failed: stream seen-case-storm-{unique} moved on (after {ATTEMPTS} attempts)")
    assert seen(service_db, f"case-storm-{unique}") == []


MARKER = "RECOGNISABLE-沙滩北街27号-13912345678"


def with_marker(case_id: str, *, data: dict | None = None, header: tuple[str, str] | None = None) -> OutgoingRecord:
    """A case.received record whose data, or one CloudEvents header, holds MARKER where it does not belong."""
    record = case_received(case_id)
    headers = tuple((k, header[1].encode()) if header and k == header[0] else (k, v) for k, v in record.headers)
    value = orjson.dumps({**orjson.loads(record.value), **data}) if data else record.value
    return OutgoingRecord("", record.key, value, headers)


async def test_a_dead_letter_reason_names_the_field_and_the_rule_never_the_value(
        bus: Bus, topic: str, unique: str, service_db: Database, running: ConsumerRunner) -> None:
    bad = [with_marker("case-1", data={"place": {"district": "Xicheng", "longitude": MARKER}}),
           with_marker("case-2", data={"channel": MARKER, "received_at": MARKER}),
           with_marker("case-3", header=("ce_time", MARKER)),
           to(topic, case_received("case-4", f"explode {MARKER}"))]
    await publish(bus, [to(topic, r) for r in bad] + [to(topic, case_received("case-ok"))])

    await eventually_async(lambda: asyncio.to_thread(seen, service_db, "case-ok"), what="the event after them")
    reasons = {r.key.decode(): r.header("dlq_reason").decode() for r in await dead_letters(bus, topic, unique, 4)}
    assert all(MARKER not in reason and "RECOGNISABLE" not in reason for reason in reasons.values()), reasons
    assert "place.longitude: Input should be a valid number" in reasons["case-1"]
    assert "channel: Input should be" in reasons["case-2"] and "received_at: " in reasons["case-2"]
    assert reasons["case-3"].startswith("undecodable: invalid CloudEvents attributes: time: ")
    assert reasons["case-4"] == "handler failed after 3 attempts: KeyError"


async def test_a_redelivered_event_changes_nothing(
        bus: Bus, topic: str, unique: str, service_db: Database, running: ConsumerRunner) -> None:
    event_id = new_event_id()
    twice = [to(topic, case_received("case-D", "once only", event_id=event_id))] * 2  # e.g. the relay restarted
    await publish(bus, twice + [to(topic, case_received("case-after"))])

    await eventually_async(lambda: asyncio.to_thread(seen, service_db, "case-after"), what="the last event")
    assert seen(service_db, "case-D") == ["once only"]
    with service_db.transaction() as s:
        tracked = s.exec(select(ProcessedEvent).where(ProcessedEvent.event_id == event_id)).all()
    assert len(tracked) == 1


async def test_an_event_handled_in_an_earlier_turn_and_sent_again_changes_nothing(
        bus: Bus, topic: str, unique: str, service_db: Database, running: ConsumerRunner) -> None:
    event_id = new_event_id()
    await publish(bus, [to(topic, case_received("case-E", "handled once", event_id=event_id))])
    await eventually_async(lambda: asyncio.to_thread(seen, service_db, "case-E"), what="the first copy handled")
    again = [to(topic, case_received("case-E", "handled once", event_id=event_id)), to(topic, case_received("case-F"))]
    await publish(bus, again)  # a later turn: the copy beside an event not seen before

    await eventually_async(lambda: asyncio.to_thread(seen, service_db, "case-F"), what="the event after the copy")
    assert seen(service_db, "case-E") == ["handled once"]
    with service_db.transaction() as s:
        assert len(s.exec(select(ProcessedEvent).where(ProcessedEvent.event_id == event_id)).all()) == 1


async def test_after_a_restart_without_offset_commit_nothing_is_handled_twice(
        bus: Bus, topic: str, unique: str, service_db: Database) -> None:
    await publish(bus, [to(topic, case_received("case-K", "keep once"))])
    runner = ConsumerRunner(group=f"restart-{unique}", bus=bus, topic=topic, dead_letter_topic=topic + ".dlq",
                            database=service_db, handlers={"case.received.v1": remember})
    dead = bus.publisher()
    await dead.start()
    sub = await open_subscription(bus, f"restart-{unique}", topic)
    (record,) = await collect(sub, 1)
    await runner.process(record, dead)  # handled durably, then the process dies before committing
    await sub.stop()

    sub = await open_subscription(bus, f"restart-{unique}", topic)
    (again,) = await collect(sub, 1)
    await runner.process(again, dead)
    await sub.stop()
    await dead.stop()
    assert again.offset == record.offset
    assert seen(service_db, "case-K") == ["keep once"]


async def test_events_handled_together_keep_log_order_around_a_failure(
        bus: Bus, topic: str, unique: str, service_db: Database, running: ConsumerRunner) -> None:
    texts = ["first", "second", "explode", "third", "fourth"]
    await publish(bus, [to(topic, case_received("case-B", text)) for text in texts])  # one poll, one batch

    await eventually_async(lambda: asyncio.to_thread(lambda: len(seen(service_db, "case-B")) == 4),
                           what="every event but the failing one")
    assert seen(service_db, "case-B") == ["first", "second", "third", "fourth"]
    (dead,) = await dead_letters(bus, topic, unique, 1)
    assert dead.header("dlq_reason").decode().startswith("handler failed after 3 attempts")


async def test_a_record_of_a_type_without_a_handler_is_passed_over_and_one_of_its_own_type_is_judged(
        bus: Bus, topic: str, unique: str, service_db: Database, running: ConsumerRunner) -> None:
    others = OutgoingRecord(topic, b"case-O", b"not json", (("ce_type", b"task.offered.v1"), ("ce_id", b"o-1")))
    mine = case_received("case-M")
    mine = OutgoingRecord(topic, mine.key, b"not json either", mine.headers)
    await publish(bus, [others, mine, to(topic, case_received("case-next"))])

    await eventually_async(lambda: asyncio.to_thread(seen, service_db, "case-next"), what="the event after them")
    (dead,) = await dead_letters(bus, topic, unique, 1)  # the first dead letter: the other service's record is not
    assert dead.key == b"case-M"  # dead-lettered here; the services that handle its type judge it
    assert dead.header("dlq_reason").decode().startswith("undecodable: data is not JSON")


async def test_events_arriving_within_the_linger_are_handled_in_one_turn(
        bus: Bus, topic: str, unique: str, service_db: Database) -> None:
    turns: list[int] = []
    runner = ConsumerRunner(group=f"linger-{unique}", bus=bus, topic=topic, dead_letter_topic=topic + ".dlq",
                            database=service_db, handlers={"case.received.v1": remember}, linger_seconds=1.0,
                            on_batch_handled=lambda: turns.append(len(seen(service_db, "case-L"))))
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    publisher = bus.publisher()
    await publisher.start()
    try:
        for text in ("one", "two", "three", "four"):  # four publishes, a trickle rather than one batch
            await publisher.publish([to(topic, case_received("case-L", text))])
        await eventually_async(lambda: asyncio.to_thread(lambda: len(seen(service_db, "case-L")) == 4),
                               what="the trickle handled")
    finally:
        await publisher.stop()
        stop.set()
        await task
    assert seen(service_db, "case-L") == ["one", "two", "three", "four"]
    assert len(turns) < 4  # gathered: at least two of them in one transaction
