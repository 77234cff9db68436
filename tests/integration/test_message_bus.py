"""The kernel's message bus on SQLite and a real PostgreSQL: one transaction per command with its answer
remembered under the Idempotency-Key, one retry policy on a moved stream, batches with in-batch replays,
and consumed events routed by catalogue class."""
from __future__ import annotations

import pytest
from pydantic import BaseModel
from sqlmodel import Session, func, select

from jiesu_shared.catalogue.common import Place
from jiesu_shared.catalogue.intake import CaseReceived, CaseWithdrawn
from jiesu_shared.messagebus import ATTEMPTS, Busy, IdempotencyKey, IdempotencyKeyReused, MessageBus
from jiesu_shared.store import ConcurrencyError, Database, EventStore, StoredEvent

STORE = EventStore(source="/jiesu/test", topic="cases")


class Withdraw(BaseModel):  # a command: plain data, keyed by its class
    case_id: str


def withdraw(session: Session, command: Withdraw) -> dict:
    version = STORE.version(session, f"case-{command.case_id}")
    STORE.append(session, stream_id=f"case-{command.case_id}", expected_version=version, subject=command.case_id,
                 payloads=[CaseWithdrawn(case_id=command.case_id, reason="the citizen fixed it")])
    return {"case_id": command.case_id, "version": version + 1}


def stored(database: Database) -> int:
    with database.reading() as session:
        return session.exec(select(func.count()).select_from(StoredEvent)).one()


def test_a_retried_command_gets_the_first_answer_and_appends_nothing_twice(database: Database) -> None:
    committed: list[str] = []
    bus = MessageBus(database, commands={Withdraw: withdraw}, on_committed=lambda: committed.append("wake"))
    key = IdempotencyKey("operator:wang", "k-1", "fingerprint-of-close")
    first = bus.handle(Withdraw(case_id="c1"), key=key, status_code=201)
    again = bus.handle(Withdraw(case_id="c1"), key=key, status_code=201)
    assert (first.body, first.status_code, first.replayed) == ({"case_id": "c1", "version": 1}, 201, False)
    assert (again.body, again.status_code, again.replayed) == (first.body, 201, True)
    assert stored(database) == 1 and committed == ["wake"]  # the replay woke nobody: nothing new to publish
    with pytest.raises(IdempotencyKeyReused):
        bus.handle(Withdraw(case_id="c2"), key=IdempotencyKey("operator:wang", "k-1", "another request"))
    assert bus.handle(Withdraw(case_id="c1"), key=IdempotencyKey("operator:li", "k-1", "x")).body["version"] == 2


def test_a_moved_stream_is_decided_again_then_refused_as_busy(database: Database) -> None:
    tries: list[int] = []

    def moved_twice(session: Session, command: Withdraw) -> dict:
        tries.append(1)
        if len(tries) <= 2:
            raise ConcurrencyError("stream moved")
        return withdraw(session, command)

    assert MessageBus(database, commands={Withdraw: moved_twice}).handle(Withdraw(case_id="c1")).body["version"] == 1
    assert len(tries) == 3

    def always_moved(session: Session, command: Withdraw) -> dict:
        withdraw(session, command)  # written, then rolled back with the attempt
        raise ConcurrencyError("stream moved")

    with pytest.raises(Busy):
        MessageBus(database, commands={Withdraw: always_moved}).handle(Withdraw(case_id="c2"))
    assert stored(database) == 1  # only c1's event: each failed attempt rolled back


def test_a_batch_commits_together_and_replays_keys_answered_before_or_within_it(database: Database) -> None:
    def withdraw_all(session: Session, commands: list[Withdraw]) -> list:
        return [ValueError("no such case") if c.case_id == "bad" else withdraw(session, c) for c in commands]

    bus = MessageBus(database, batched={Withdraw: withdraw_all})
    earlier = IdempotencyKey("client", "k-0", "fp-0")
    bus.handle_batch([Withdraw(case_id="c0")], [earlier], status_code=201)
    twin = IdempotencyKey("client", "k-1", "fp-1")
    outcomes = bus.handle_batch(
        [Withdraw(case_id="c1"), Withdraw(case_id="c1"), Withdraw(case_id="c0"), Withdraw(case_id="bad"), Withdraw(case_id="c3"),
         Withdraw(case_id="c9")],
        [twin, twin, earlier, None, IdempotencyKey("client", "k-1", "another body"), None], status_code=201)
    first, replay, replay_earlier, bad, reused, plain = outcomes
    assert not first.replayed and replay.replayed and replay.body == first.body  # type: ignore[union-attr]
    assert replay_earlier.replayed and replay_earlier.body["case_id"] == "c0"  # type: ignore[union-attr]
    assert isinstance(bad, ValueError) and isinstance(reused, IdempotencyKeyReused)
    assert plain.body["case_id"] == "c9"  # type: ignore[union-attr]
    assert stored(database) == 3  # c0, then c1 and c9: a replay appends nothing


def test_consumed_events_go_to_the_handler_of_their_catalogue_class(database: Database) -> None:
    seen: list[str] = []
    bus = MessageBus(database, events={CaseReceived: lambda session, envelope, payload: seen.append(payload.case_id)})
    assert list(bus.consumed()) == ["case.received.v1"]
    received = CaseReceived(case_id="c1", channel="hotline", text="路灯坏了", category="street_lighting",
                            place=Place(district="Dongcheng", street="Jingshan"), received_at="2026-12-01T00:00:00Z")
    with database.transaction() as session:
        bus.consume(session, None, received)  # type: ignore[arg-type]
    assert seen == ["c1"]
    with pytest.raises(TypeError, match="not an event type of the catalogue"):
        MessageBus(database, events={Withdraw: lambda session, envelope, payload: None})  # type: ignore[dict-item]
    assert ATTEMPTS == 5  # the one retry policy every service shares
