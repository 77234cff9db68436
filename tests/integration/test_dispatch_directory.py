"""The directory dispatch decides with is never stale, though each instance keeps it between uses: on SQLite and
a real PostgreSQL, with two dispatch instances on one database, a department registered or a routing table
published on one instance is in force on the other at once, and a registration rolled back is never seen."""
from __future__ import annotations


import pytest
from sqlmodel import select

from jiesu_shared.catalogue.dispatch import DirectoryEntry
from jiesu_shared.events import Envelope
from jiesu_shared.messagebus import MessageBus
from jiesu_shared.store import Database, EventStore
from jiesu_shared.store.tables import StoredEvent

from jiesu_dispatch.config import DispatchSettings
from jiesu_dispatch.coordination import message_bus, register_department
from jiesu_dispatch.handlers import Dispatcher, case_stream
from jiesu_dispatch.messages import PublishRules, RegisterDepartment
from tests.support.heating import heating_case


class Instance:
    """One dispatch instance: its own dispatcher (and so its own kept directory) on the shared database."""

    def __init__(self, database: Database) -> None:
        settings = DispatchSettings()
        self.database = database
        self.dispatcher = Dispatcher(store=EventStore(source="/jiesu/dispatch", topic="t"),
                                     routing=settings.routing_table(), sla=settings.sla_policy())
        self.bus: MessageBus = message_bus(database, self.dispatcher)

    def departments(self) -> set[str]:
        with self.database.reading() as session:
            return set(self.dispatcher.directory(session).departments)

    def register(self, department_id: str) -> None:
        entry = DirectoryEntry(department_id=department_id, name=department_id, kind="utility")
        self.bus.handle(RegisterDepartment(entry, "admin"))

    def publish(self, version: str, heating_lead: str) -> None:
        table = {"version": version, "rules": [{"id": "heating", "category": "heating", "lead": heating_lead}],
                 "fallback": {"id": "fallback", "lead": "street-office"}}
        self.bus.handle(PublishRules(table, "admin"))

    def receive(self) -> str:
        """A heating case consumed from intake; the department its lead task went to."""
        envelope, fact = heating_case()
        case_id = fact.case_id
        with self.database.transaction() as session:
            self.dispatcher.on_fact(session, envelope, fact)
            rows = session.exec(select(StoredEvent.envelope).where(StoredEvent.stream_id == case_stream(case_id),
                                                                   StoredEvent.type == "task.offered.v1")).all()
        offers = [Envelope.model_validate_json(row).data for row in rows]
        return next(offer["department_id"] for offer in offers if offer["role"] == "lead")


Pair = tuple[Instance, Instance]


@pytest.fixture
def instances(database: Database) -> Pair:
    return Instance(database), Instance(database)


def test_a_table_published_on_one_instance_routes_the_next_case_on_the_other(instances: Pair) -> None:
    a, b = instances
    assert a.receive() == "heating-utility"  # the configured table; a now keeps the (empty) directory
    b.register("district-heating-co")
    b.publish("winter-1", "district-heating-co")
    assert a.receive() == "district-heating-co"
    b.publish("winter-2", "heating-utility")
    assert a.receive() == "heating-utility"


def test_a_department_registered_on_one_instance_is_known_on_the_other(instances: Pair) -> None:
    a, b = instances
    assert a.departments() == b.departments() == set()
    b.register("district-heating-co")
    assert a.departments() == {"district-heating-co"}
    a.publish("winter-1", "district-heating-co")  # a table may name only departments known to the instance
    assert b.receive() == "district-heating-co"


def test_a_registration_rolled_back_is_never_seen(instances: Pair) -> None:
    a, b = instances
    a.register("housing")
    with pytest.raises(RuntimeError), a.database.transaction() as session:
        entry = DirectoryEntry(department_id="ghost", name="ghost", kind="utility")
        register_department(a.dispatcher, session, RegisterDepartment(entry, "admin"))
        assert set(a.dispatcher.directory(session).departments) == {"housing", "ghost"}  # a keeps this one
        raise RuntimeError("the request failed after the append")
    b.register("water")  # the version the rolled-back registration had, another event
    assert a.departments() == {"housing", "water"}
