"""The query-based audit behind the folding's call signatures, so the known-answer and planted-truth tests
ask the new audit the same questions: `fold(events)` applies the events through audit's projector to a
fresh read-model database, and each figure is its query. The database is a SQLite file unless a test's fixture
chose otherwise (`read_models` in tests/domain/conftest.py runs a test on SQLite and on PostgreSQL)."""
from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import SQLModel

from jiesu_shared.events import Envelope
from jiesu_shared.store import Database

from jiesu_audit.domain.history import CaseHistory
from jiesu_audit.queries import departments, handovers, rates, recurring
from jiesu_audit.readmodel import facts
from jiesu_audit.readmodel.projector import Decoded, Projector
from jiesu_audit.readmodel.states import CaseStates
from jiesu_audit.readmodel.tables import cases

_EVERYTHING = 10**9


_makers: list[Callable[[], Database]] = []  # where fresh databases come from, innermost `databases_from` last


@contextmanager
def databases_from(make: Callable[[], Database]) -> Iterator[None]:
    """Within the block, `fresh_database` (and so `fold`) makes its databases with `make`."""
    _makers.append(make)
    try:
        yield
    finally:
        _makers.remove(make)


def fresh_database() -> Database:
    if _makers:
        database = _makers[-1]()
    else:
        database = Database(f"sqlite:///{tempfile.mkdtemp(prefix='jiesu-audit-')}/audit.sqlite3")
    SQLModel.metadata.create_all(database.engine)
    return database


def project(database: Database, events: Iterable[Envelope], stretch: int = 5000, cached: int = 1000) -> None:
    """Apply the events in stretches as the consumer does (a small cache: histories go to and from rows)."""
    projector = Projector(database, "test", CaseStates(cached))
    batch: list[Decoded] = []
    offset = 0
    for envelope in events:
        batch.append(Decoded.of(0, offset, envelope, json.dumps(envelope.data, ensure_ascii=False, sort_keys=True)))
        offset += 1
        if len(batch) == stretch:
            projector.apply(batch, {0: offset})
            batch = []
    if batch:
        projector.apply(batch, {0: offset})


class ReadModel(Mapping[str, CaseHistory]):
    def __init__(self, database: Database) -> None:
        self.database = database

    def __getitem__(self, case_id: str) -> CaseHistory:
        with self.database.reading() as session:
            state = session.connection().execute(cases.select().where(cases.c.case_id == case_id)).first()
        if state is None:
            raise KeyError(case_id)
        return facts.load_state(state.state)

    def __iter__(self) -> Iterator[str]:
        with self.database.reading() as session:
            return iter(list(session.connection().execute(cases.select().with_only_columns(cases.c.case_id)).scalars()))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def values(self) -> Any:
        return _Cases(self)


class _Cases(list):
    def __init__(self, model: ReadModel) -> None:
        super().__init__()
        self.model = model


def rows(database: Database, table: Any) -> int:
    """How many rows `table` holds."""
    with database.reading() as session:
        return session.connection().execute(select(func.count()).select_from(table)).scalar_one()


def decoded(first: int, events: list[Envelope]) -> list[Decoded]:
    """Events as the log's records from offset `first` on, for `Projector.apply`."""
    return [Decoded.of(0, first + n, e, json.dumps(e.data)) for n, e in enumerate(events)]


def taken_unrefreshed(events: list[Envelope]) -> Database:
    """A catch-up's first batch: every event's facts and marks committed, no kept row counted yet."""
    database = fresh_database()
    with Projector(database, "t", CaseStates(10)).batch([0]) as batch:
        batch.refresh = False
        batch.take(decoded(0, events), {0: len(events)})
    return database


def fold(events: Iterable[Envelope]) -> ReadModel:
    database = fresh_database()
    project(database, events)
    return ReadModel(database)


def _database_of(histories: Any) -> Database:
    if isinstance(histories, _Cases):
        return histories.model.database
    database = fresh_database()  # histories folded elsewhere: their facts written as the projector writes them
    projector = Projector(database, "test", CaseStates(1))
    with database.transaction() as session:
        touched = {h.case_id: h for h in histories}
        projector.rewrite(session.connection(), touched, new=set(touched))
    return database


def _ask(histories: Any, work, *args: Any, **kwargs: Any) -> Any:  # type: ignore[no-untyped-def]
    with _database_of(histories).reading() as session:
        return work(session.connection(), *args, **kwargs)


def department_stats(histories: Any, *, period: str, as_of: datetime) -> list[dict[str, Any]]:
    return _ask(histories, departments.department_rows, period=period, as_of=as_of)


def handover_network(histories: Any) -> dict[str, Any]:
    return _ask(histories, handovers.network, _EVERYTHING, 0)


def three_rates(histories: Any, config: dict[str, Any], *, month: str, as_of: datetime) -> dict[str, Any]:
    return _ask(histories, rates.three_rates, config, month=month, as_of=as_of)


def outcome_mix(histories: Any, *, month: str | None = None) -> dict[str, int]:
    return _ask(histories, rates.outcome_mix, month)


def recurring_problems(histories: Any, *, window_days: int, min_cases: int, level: str = "community"
                       ) -> list[dict[str, Any]]:
    return _ask(histories, recurring.recurring, window_days=window_days, min_cases=min_cases, level=level)
