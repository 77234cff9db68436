"""Which routing table and which SLA policy each dispatch and offer was made under, as the research exports say:
a real dispatch (on SQLite and PostgreSQL) publishes two routing tables, dispatches by rules under each, by hand
between and after them, and restarts with other SLA rules; the log it wrote is exported and read in pm4py.

A manual dispatch's rule ("manual") names no table: the export gives it the table published in force at the
time. The SLA-policy version is the one dispatch stamped, so the restart shows as a new version."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

from sqlmodel import select

from jiesu_shared.events import Envelope
from jiesu_shared.store import Database, EventStore
from jiesu_shared.store.tables import StoredEvent

from jiesu_audit.replay.run import replay
from jiesu_audit.replay.sources import FileSource
from jiesu_dispatch.config import DispatchSettings
from jiesu_dispatch.coordination import message_bus
from jiesu_dispatch.domain.commands import Assign
from jiesu_dispatch.handlers import Dispatcher
from jiesu_dispatch.messages import DispatchByHand, PublishRules
from tests.support.heating import heating_case

KEY = b"a fixed key for reproducible tests"
EMERGENCY = [{"urgency": "emergency", "respond_within_hours": 2, "resolve_within_days": 1}]
STAMPED = ("case.dispatched.v1", "task.offered.v1")


class Dispatch:
    """A dispatch instance on the database, with the SLA rules it was started with."""

    def __init__(self, database: Database, sla_rules: list[dict]) -> None:
        settings = DispatchSettings(sla_rules=sla_rules)
        self.database, self.sla = database, settings.sla_policy()
        self.dispatcher = Dispatcher(store=EventStore(source="/jiesu/dispatch", topic="t"),
                                     routing=settings.routing_table(), sla=self.sla)
        self.bus = message_bus(database, self.dispatcher)

    def publish(self, version: str) -> None:
        table = {"version": version, "rules": [{"id": "heating", "category": "heating", "lead": "heating-utility"}],
                 "fallback": {"id": "fallback", "lead": "street-office"}}
        self.bus.handle(PublishRules(table, "admin"))

    def receive(self, received: list[Envelope]) -> str:
        envelope, fact = heating_case()
        case_id = fact.case_id
        with self.database.transaction() as session:
            self.dispatcher.on_fact(session, envelope, fact)
        received.append(envelope)
        return case_id

    def by_hand(self, case_id: str, lead: str) -> None:
        self.bus.handle(DispatchByHand(case_id, Assign(lead=lead, supporting=(), coordinator="wang.li",
                                                       reason="the coordinator knows better")))


def test_each_dispatch_and_offer_names_the_table_and_policy_in_force(database: Database, tmp_path: Path) -> None:
    import pm4py

    received: list[Envelope] = []
    first = Dispatch(database, sla_rules=[])
    first.publish("winter-1")
    a = first.receive(received)                  # by rules: winter-1/heating
    first.by_hand(a, "street-office")            # manual: winter-1 in force
    first.publish("winter-2")
    second = Dispatch(database, sla_rules=EMERGENCY)  # dispatch restarted with other SLA rules
    b = second.receive(received)                 # by rules: winter-2/heating
    second.by_hand(a, "heating-utility")         # manual: winter-2 in force
    assert first.sla.version != second.sla.version

    out = _exported(database, received, tmp_path)
    log = pm4py.read_xes(str(out / "events.xes"), return_legacy_log_object=False)
    stamped = log[log["jiesu:type"].isin(STAMPED)]
    seen = {case: [(row["jiesu:type"], row["org:resource"], row["jiesu:routing_rules_version"],
                    row["jiesu:sla_policy_version"]) for _, row in rows.iterrows()]
            for case, rows in stamped.groupby("case:concept:name", sort=False)}
    p1, p2 = first.sla.version, second.sla.version
    assert seen[a] == [("case.dispatched.v1", "heating-utility", "winter-1", p1),
                       ("task.offered.v1", "heating-utility", "winter-1", p1),
                       ("case.dispatched.v1", "street-office", "winter-1", p1),
                       ("task.offered.v1", "street-office", "winter-1", p1),
                       ("case.dispatched.v1", "heating-utility", "winter-2", p2),
                       ("task.offered.v1", "heating-utility", "winter-2", p2)]
    assert seen[b] == [("case.dispatched.v1", "heating-utility", "winter-2", p2),
                       ("task.offered.v1", "heating-utility", "winter-2", p2)]
    rules = list(log[log["jiesu:type"] == "case.dispatched.v1"]["jiesu:rule"])
    assert sorted(rules) == sorted(["winter-1/heating", "manual", "winter-2/heating", "manual"])

    ocel = json.loads((out / "events.ocel.json").read_text())
    versions = {(e["type"], a["name"]): a["value"] for e in ocel["events"] if e["type"] in STAMPED
                for a in e["attributes"] if a["name"] in ("routing_rules_version", "sla_policy_version")}
    assert set(versions) == {(t, n) for t in STAMPED for n in ("routing_rules_version", "sla_policy_version")}
    by_id = {e["id"]: {a["name"]: a["value"] for a in e["attributes"]} for e in ocel["events"]}
    xes_ids = dict(zip(stamped["identity:id"], zip(stamped["jiesu:routing_rules_version"],
                                                   stamped["jiesu:sla_policy_version"], strict=True), strict=True))
    assert {i: (by_id[i]["routing_rules_version"], by_id[i]["sla_policy_version"]) for i in xes_ids} == xes_ids
    declared = {t["name"]: {a["name"]: a["type"] for a in t["attributes"]} for t in ocel["eventTypes"]}
    assert all(declared[t]["sla_policy_version"] == "string" for t in STAMPED)


def _exported(database: Database, received: list[Envelope], tmp_path: Path) -> Path:
    """Dispatch's log and intake's facts it consumed, in time order, exported as a researcher gets them."""
    with database.reading() as session:
        rows = session.exec(select(StoredEvent.envelope).order_by(StoredEvent.position)).all()
    envelopes = sorted([*received, *(Envelope.model_validate_json(row) for row in rows)], key=lambda e: e.time)
    log = tmp_path / "log.jsonl"
    log.write_text("".join(e.model_dump_json() + "\n" for e in envelopes))
    asyncio.run(replay(FileSource(log), tmp_path / "out", key=KEY, progress=False))
    return tmp_path / "out"
