"""Two audit instances on one PostgreSQL: one counts the stale groups afresh (department figures, deliveries,
warnings, the three rates' counts, the response times by street) while the other is writing facts into the same
groups, not yet committed. The count cannot see those facts, so it must leave the groups stale: once both have
committed, the answers are the ones counted from all the facts."""
from __future__ import annotations


from sqlmodel import SQLModel

from jiesu_shared.store import Database

from jiesu_audit.readmodel.projector import Batch, Projector
from jiesu_audit.readmodel.states import CaseStates
from jiesu_audit.readmodel.tables import stale_streets
from tests.domain.audit_known_log import known_log
from tests.domain.audit_readmodel import decoded, fresh_database, project, rows
from tests.domain.test_audit_department_groups import answers, counts
from tests.domain.test_audit_kept_signals import EVENTS as DISTRICT
from tests.domain.test_audit_kept_signals import answers as signal_answers
from tests.domain.test_audit_kept_signals import counted_afresh
from tests.domain.test_audit_kept_rates import EVENTS as RATED
from tests.domain.test_audit_kept_rates import answers as rate_answers
from tests.domain.test_audit_kept_rates import counted_afresh as rates_counted_afresh

EVENTS = known_log()


def counted_beside_an_uncommitted_writer(database: Database, events: list) -> Projector:
    """The first half of `events` committed by one projector, the second half written by it but not yet committed
    while another counts the stale groups; that other one, to count again."""
    half = len(events) // 2
    writer, counter = Projector(database, "t", CaseStates(10)), Projector(database, "t", CaseStates(10))
    with writer.batch([0]) as batch:  # the first half, its groups committed stale (a catch-up's batch)
        batch.refresh = False
        batch.take(decoded(0, events[:half]), {0: half})
    with database.transaction() as session:  # the writer's next batch, its facts written, not committed …
        conn = session.connection()
        batch = Batch(writer, conn, writer._positions(conn, [0]))
        batch.refresh = False
        batch.take(decoded(half, events[half:]), {0: len(events)})
        batch.finish()
        counter.refresh_departments()  # … while the other instance counts the stale groups
    return counter


def test_a_count_beside_an_uncommitted_writer_leaves_its_groups_stale(postgres_database_url: str) -> None:
    reference = fresh_database()
    project(reference, EVENTS)
    database = Database(postgres_database_url)
    SQLModel.metadata.create_all(database.engine)
    try:
        counter = counted_beside_an_uncommitted_writer(database, EVENTS)
        assert counts(database)[1] > 0  # the writer's groups are still stale
        assert answers(database) == answers(reference)
        counter.refresh_departments()  # and once counted with every fact committed, the kept rows agree
        assert counts(database)[1] == 0
        assert answers(database) == answers(reference)
    finally:
        database.dispose()


def test_deliveries_and_warnings_counted_beside_an_uncommitted_writer_stay_stale(postgres_database_url: str) -> None:
    database = Database(postgres_database_url)
    SQLModel.metadata.create_all(database.engine)
    try:
        counter = counted_beside_an_uncommitted_writer(database, DISTRICT)
        assert counts(database)[1] > 0
        assert signal_answers(database) == counted_afresh(database)
        counter.refresh_departments()
        assert counts(database)[1] == 0
        assert signal_answers(database) == counted_afresh(database)
    finally:
        database.dispose()


def test_the_three_rates_and_street_times_counted_beside_an_uncommitted_writer_stay_stale(
        postgres_database_url: str) -> None:
    database = Database(postgres_database_url)
    SQLModel.metadata.create_all(database.engine)
    try:
        counter = counted_beside_an_uncommitted_writer(database, RATED)
        assert counts(database)[1] > 0 and rows(database, stale_streets) > 0  # the writer's groups are still stale
        assert rate_answers(database) == rates_counted_afresh(database)
        counter.refresh_departments()
        assert counts(database)[1] == 0 and rows(database, stale_streets) == 0
        assert rate_answers(database) == rates_counted_afresh(database)
    finally:
        database.dispose()
