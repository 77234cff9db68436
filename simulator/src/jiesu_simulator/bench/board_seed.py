"""A dispatch database holding many cases, written in bulk: each case's facts (received, accepted, returned,
responded, completed) run through dispatch's own decider (`react`) and fold (`evolve`), and the ledger and
case-summary rows are inserted with dispatch's table models, thousands per transaction. Then dispatch's own
rebuild (`board_projection.rebuild_if_needed`, what it runs on start) fills the board's tables from that ledger.

Not written: the event store and outbox (nothing to publish) and SLA timers, so these cases never reach
intake, the gateway or audit: the board's numbers are dispatch's and the console's, at this many cases."""
from __future__ import annotations

import random
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import insert
from sqlmodel import Session

from jiesu_shared.catalogue import gateway as g
from jiesu_shared.catalogue import type_name_of
from jiesu_shared.catalogue.common import Place
from jiesu_shared.catalogue.intake import CaseReceived
from jiesu_shared.store import Database, EventStore

from jiesu_dispatch.adapters import board_projection
from jiesu_dispatch.adapters.tables import CaseSummaryRow, LedgerRow
from jiesu_dispatch.config import DispatchSettings
from jiesu_dispatch.domain import commands
from jiesu_dispatch.domain.decider import Context, react
from jiesu_dispatch.domain.state import CaseState, evolve
from jiesu_dispatch.handlers import Dispatcher, case_stream

SUBJECTS = ("property_management", "neighbour_dispute", "noise", "illegal_construction", "fire_hazard", "heating")
STREETS = tuple(f"street-{n:02d}" for n in range(1, 41))
BATCH = 2000


class CaseWriter:
    """One case's ledger as dispatch's consumer and commands would have written it."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.state: CaseState | None = None
        self.rows: list[dict] = []

    def _append(self, payload: BaseModel, own: bool, at: datetime) -> None:
        self.rows.append({"n": len(self.rows) + 1, "type": type_name_of(payload), "own": own, "recorded_at": at,
                          "data": payload.model_dump_json()})
        self.state = evolve(self.state, payload, at)

    def fact(self, payload: BaseModel, at: datetime) -> None:
        self._append(payload, False, at)
        for event in react(self.state, payload, replace(self.ctx, now=at)):
            self._append(event, True, at)

    def command(self, events: list[BaseModel], at: datetime) -> None:
        for event in events:
            self._append(event, True, at)

    def open_tasks(self, role: str | None = None) -> list:  # type: ignore[type-arg]
        assert self.state is not None
        return [t for t in self.state.open_case_tasks() if role is None or t.role == role]


def _story(writer: CaseWriter, rng: random.Random, case_id: str, now: datetime) -> None:
    """A case's life so far: the share of each path picked so the board's lists all fill."""
    path = rng.random()
    age = timedelta(hours=rng.uniform(0, 6) if path < 0.2 else rng.uniform(0, 48) if path < 0.55
                    else rng.uniform(0, 240))
    start = now - age
    writer.fact(CaseReceived(case_id=case_id, channel="hotline", text="bench case", category=rng.choice(SUBJECTS),
                             place=Place(district="Dongcheng", street=rng.choice(STREETS)), received_at=start), start)
    steps = [(timedelta(minutes=30), "accept")] if 0.2 <= path < 0.8 or path >= 0.9 else []
    steps += [(timedelta(hours=3), "respond")] if 0.55 <= path < 0.8 or path >= 0.9 else []
    steps += [(timedelta(hours=1), "return"), (timedelta(hours=2), "return")] if 0.8 <= path < 0.9 else []
    steps += [(timedelta(days=2), "complete")] if 0.9 <= path < 0.95 else []
    steps += [(timedelta(hours=4), "whistle")] if path >= 0.95 else []
    for offset, step in steps:
        if offset <= age:
            _step(writer, step, case_id, start + offset)


def _step(writer: CaseWriter, step: str, case_id: str, at: datetime) -> None:
    if step == "accept":
        for task in writer.open_tasks():
            writer.fact(g.TaskAccepted(task_id=task.task_id, case_id=case_id, department_id=task.department_id,
                                       accepted_at=at), at)
    elif step == "respond":
        for task in writer.open_tasks():
            writer.fact(g.TaskResponded(task_id=task.task_id, case_id=case_id, department_id=task.department_id,
                                        responded_at=at), at)
    elif step == "return":
        for task in writer.open_tasks("lead")[:1]:
            writer.fact(g.TaskReturned(task_id=task.task_id, case_id=case_id, department_id=task.department_id,
                                       reason="not_our_remit", returned_at=at), at)
    elif step == "complete":
        for task in writer.open_tasks():
            writer.fact(g.TaskCompleted(task_id=task.task_id, case_id=case_id, department_id=task.department_id,
                                        resolution="done", completed_at=at), at)
    elif step == "whistle":
        whistle = commands.BlowWhistle(street_office="street-office", summoned=("fire-safety", "housing"),
                                       report_in_within=timedelta(minutes=90), reason="bench", coordinator="bench")
        writer.command(commands.blow_whistle(writer.state, case_id, whistle, replace(writer.ctx, now=at)), at)


def seed(database_path: Path, cases: int, seed_value: int = 12) -> dict:
    """Write `cases` cases into a new dispatch database at `database_path`, then fill the board from them."""
    database = Database(f"sqlite:///{database_path}")
    database.create_schema()
    settings = DispatchSettings()
    dispatcher = Dispatcher(store=EventStore(source="/jiesu/dispatch", topic="bench"), routing=settings.routing_table(),
                            sla=settings.sla_policy())
    rng, now = random.Random(seed_value), datetime.now(UTC)
    began, events = time.perf_counter(), 0
    with database.transaction() as session:
        ctx = dispatcher.context(session)
    for first in range(0, cases, BATCH):
        with database.transaction() as session:
            events += _write_batch(session, ctx, rng, now, min(BATCH, cases - first))
    written = time.perf_counter() - began
    began = time.perf_counter()
    folded = board_projection.rebuild_if_needed(database)
    rebuilt = time.perf_counter() - began
    database.dispose()
    return {"cases": cases, "ledger_rows": events, "write_s": round(written, 1), "board_rebuild_s": round(rebuilt, 1),
            "board_cases": folded, "database_mib": round(database_path.stat().st_size / 2**20)}


def _write_batch(session: Session, ctx: Context, rng: random.Random, now: datetime, count: int) -> int:
    ledger, summaries = [], []
    for _ in range(count):
        case_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        writer = CaseWriter(ctx)
        _story(writer, rng, case_id, now)
        state = writer.state
        assert state is not None
        ledger += [{"stream_id": case_stream(case_id), **row} for row in writer.rows]
        summaries.append({"case_id": case_id, "status": state.status, "lead_department": state.lead,
                          "category": state.category, "return_count": state.return_count,
                          "updated_at": writer.rows[-1]["recorded_at"]})
    session.execute(insert(LedgerRow), ledger)
    session.execute(insert(CaseSummaryRow), summaries)
    return len(ledger)
