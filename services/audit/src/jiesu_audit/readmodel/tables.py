"""The read-model tables (SQLAlchemy Core, on the same metadata as the timeline so one `create_all` makes
them). Durations are stored as computed from the events' own times, and moments as whole microseconds since
the epoch, so the database compares and subtracts exactly what the folding would; periods (month, ISO week,
day) are stored as keys, so grouping by period needs no date functions that differ between databases."""
from __future__ import annotations

from sqlalchemy import (BigInteger, Boolean, Column, Float, Index, Integer, LargeBinary, String, Table, Text, and_,
                        func, literal_column)
from sqlmodel import SQLModel

_meta = SQLModel.metadata
_ID, _NAME = 64, 200


def _periods(prefix: str, indexed: bool = False) -> list[Column]:
    """Indexed where a department's figures are refreshed period by period (offers, breaches, summons)."""
    return [Column(f"{prefix}_month", String(7), index=indexed), Column(f"{prefix}_week", String(8), index=indexed),
            Column(f"{prefix}_day", String(10), index=indexed)]


# Where each partition of the log has been read up to, written in the same transaction as the facts.
# The time zone the period keys below were counted in: another zone needs a rebuild (see period_zone.py).
period_zone = Table("audit_period_zone", _meta, Column("id", Integer, primary_key=True),
                    Column("zone", String(_NAME), nullable=False))
positions = Table("audit_positions", _meta,
                  Column("topic", String(_NAME), primary_key=True), Column("partition", Integer, primary_key=True),
                  Column("next_offset", BigInteger, nullable=False))

cases = Table(
    "audit_cases", _meta,
    Column("case_id", String(_ID), primary_key=True),
    Column("received_us", BigInteger), Column("received_at", String(40)),
    Column("category", String(_NAME)), Column("district", String(_NAME)), Column("street", String(_NAME)),
    Column("community", String(_NAME)), Column("grid", String(_NAME)), Column("street_key", String(2 * _NAME + 1)),
    Column("last_outcome", String(_NAME)), Column("last_callback_month", String(7)),
    Column("last_lead_department", String(_NAME)),  # the lead department the last verdict was about
    Column("chain", Text), Column("bounces", Integer, nullable=False, default=0),
    Column("departments", Text), Column("slowest_department", String(_NAME)), Column("slowest_seconds", Float),
    Column("still_open", Boolean),
    Column("state", LargeBinary, nullable=False),  # the folded history, to go on from when new events come
    Column("version", Integer, nullable=False),  # the history's revision: whoever writes checks it first
)

# What the questions over every case read, so they scan an index instead of each case's row (which carries
# the case's history): ping-pong chains, the outcome mix, multi-department cases by their slowest, and the
# recurring problems in (place, category, time) order (see the end).
_bounced = cases.c.bounces > literal_column("0")
Index("ix_audit_cases_bounced", cases.c.case_id, sqlite_where=_bounced, postgresql_where=_bounced)
Index("ix_audit_cases_outcome", cases.c.last_outcome, cases.c.last_callback_month)
_multi = cases.c.departments.is_not(None)
Index("ix_audit_cases_slowest", func.coalesce(cases.c.slowest_seconds, literal_column("0.0")).desc(),
      cases.c.case_id, sqlite_where=_multi, postgresql_where=_multi)

offers = Table(
    "audit_offers", _meta,
    Column("case_id", String(_ID), primary_key=True), Column("task_id", String(_ID), primary_key=True),
    Column("department", String(_NAME), nullable=False, index=True), Column("kind", String(40)),
    Column("is_lead_case", Boolean, nullable=False), *_periods("offered", indexed=True),
    Column("was_accepted", Boolean, nullable=False), Column("has_accepted_at", Boolean, nullable=False),
    Column("returned", Boolean, nullable=False), Column("cancelled_undecided", Boolean, nullable=False),
    Column("return_reason", String(_NAME)),
    Column("decided_after", Float), Column("responded_after", Float), Column("completed_after", Float),
    Column("respond_by_us", BigInteger), Column("responded_us", BigInteger),
    Column("notified_after", Float), Column("notify_attempts", Integer),
    Column("notification_failures", Integer, nullable=False),
    Column("street_key", String(2 * _NAME + 1)),  # the case's, as in audit_cases: see street_keys.py
)

breaches = Table("audit_breaches", _meta, Column("id", Integer, primary_key=True, autoincrement=True),
                 Column("case_id", String(_ID), nullable=False, index=True), Column("task_id", String(_ID)),
                 Column("department", String(_NAME), nullable=False), Column("kind", String(40)),
                 *_periods("offered", indexed=True), Column("clock", String(40), nullable=False))

# Each 退单 of a lead task, when it was made, the department offered the case next and what the detour cost.
returns = Table("audit_returns", _meta, Column("id", Integer, primary_key=True, autoincrement=True),
                Column("case_id", String(_ID), nullable=False, index=True),
                Column("from_department", String(_NAME), nullable=False), Column("to_department", String(_NAME)),
                Column("cost_seconds", Float), Column("returned_us", BigInteger), *_periods("returned"))

callbacks = Table("audit_callbacks", _meta, Column("id", Integer, primary_key=True, autoincrement=True),
                  Column("case_id", String(_ID), nullable=False, index=True),
                  Column("recorded_month", String(7), nullable=False), Column("outcome", String(_NAME)),
                  Column("satisfaction", String(_NAME)), Column("lead_department", String(_NAME)),
                  Column("street_key", String(2 * _NAME + 1)))  # the case's, as in audit_cases

summons = Table("audit_summons", _meta, Column("id", Integer, primary_key=True, autoincrement=True),
                Column("case_id", String(_ID), nullable=False, index=True), Column("whistle_id", String(_ID)),
                Column("department", String(_NAME), nullable=False), *_periods("blown", indexed=True),
                Column("reported_in", Boolean, nullable=False), Column("report_in_seconds", Float),
                Column("no_show", Boolean, nullable=False))

meeting_tasks = Table("audit_meeting_tasks", _meta, Column("id", Integer, primary_key=True, autoincrement=True),
                      Column("case_id", String(_ID), nullable=False, index=True), Column("task_id", String(_ID)),
                      Column("owner", String(_NAME), nullable=False), *_periods("recorded"),
                      Column("deadline_us", BigInteger), Column("completed", Boolean, nullable=False))

# Each SLA warning, and whether it was heeded: the act its clock waits for came after it, by the deadline.
warnings = Table("audit_warnings", _meta, Column("id", Integer, primary_key=True, autoincrement=True),
                 Column("case_id", String(_ID), nullable=False, index=True), Column("task_id", String(_ID)),
                 Column("department", String(_NAME), nullable=False), Column("clock", String(40), nullable=False),
                 *_periods("warned"), Column("heeded", Boolean, nullable=False))

# Each escalation (case.escalated) and the ruling that answered it, by street and coordinator.
rulings = Table("audit_rulings", _meta, Column("id", Integer, primary_key=True, autoincrement=True),
                Column("case_id", String(_ID), nullable=False, index=True), *_periods("escalated"),
                Column("street_key", String(2 * _NAME + 1)), Column("coordinator", String(_NAME)),
                Column("ruled", Boolean, nullable=False), Column("waited_seconds", Float))

# Events counted as they are (duplicates linked, call-backs due, reroutes, progress reports, late report-ins).
marks = Table("audit_marks", _meta, Column("id", Integer, primary_key=True, autoincrement=True),
              Column("case_id", String(_ID), nullable=False, index=True), Column("kind", String(40), nullable=False),
              Column("department", String(_NAME)), *_periods("at"))

# Each department's figures per period (offers, SLA breaches, whistles: what does not depend on "now"), as
# `queries.departments` counts them, kept so that a question reads a few rows instead of ranking every offer.
department_periods = Table("audit_department_periods", _meta,
                           Column("period_kind", String(5), primary_key=True),
                           Column("department", String(_NAME), primary_key=True),
                           Column("period", String(10), primary_key=True), Column("tally", Text, nullable=False))

# The (period kind, department, period) whose facts changed since their row above was computed: written in
# the same transaction as the facts; counted afresh at a question until they are refreshed.
stale_groups = Table("audit_stale_groups", _meta,
                     Column("period_kind", String(5), primary_key=True),
                     Column("department", String(_NAME), primary_key=True),
                     Column("period", String(10), primary_key=True))

# The tables rewritten for a case whenever an event about it arrives (its facts are few: a case's rows).
PER_CASE = (offers, breaches, returns, callbacks, summons, meeting_tasks, warnings, rulings, marks)

# --- Issue 14, the analytics at a million cases (queries/): what the questions read in order, from the index
# alone, instead of sorting a table's rows at every question.
# The three rates and the rankings (queries/rates.py, rankings.py): a month's responses and verdicts counted per
# (department, street) from the index alone, in the order of their groups (no sort, no join to the cases; the
# scores are counted, and summed exactly, so their order does not matter); and the response times by street.
# The partial indexes' own columns are listed too: SQLite reads a row for a column the query names that its
# index lacks, even one its WHERE already implies.
_accepted_lead = and_(offers.c.is_lead_case, offers.c.has_accepted_at)
Index("ix_audit_offers_responses", offers.c.offered_month, offers.c.department, offers.c.street_key,
      offers.c.respond_by_us, offers.c.responded_us, offers.c.is_lead_case, offers.c.has_accepted_at,
      sqlite_where=_accepted_lead, postgresql_where=_accepted_lead)
Index("ix_audit_offers_response_times", offers.c.offered_month, offers.c.street_key, offers.c.responded_after,
      offers.c.is_lead_case, offers.c.has_accepted_at, sqlite_where=_accepted_lead, postgresql_where=_accepted_lead)
Index("ix_audit_callbacks_verdicts", callbacks.c.recorded_month, callbacks.c.lead_department, callbacks.c.street_key,
      callbacks.c.outcome, callbacks.c.satisfaction)

# --- Issue 14, the hand-over edges (queries/handovers.py `edges`): each edge's count and exact total read by one
# pass over this index, its median at its rank in cost order. The plain cost last makes it covering.
EDGE_COST = func.coalesce(returns.c.cost_seconds, literal_column("0.0"))
Index("ix_audit_returns_edge_cost", returns.c.from_department, returns.c.to_department, EDGE_COST,
      returns.c.cost_seconds)
# The edges of the returns made within periods (`/analytics/handovers?period=&from=&to=`), from the index alone
# (covering): counted and summed in one pass in edge order, each edge's median from its range of periods, whose
# costs are few to sort. (Led by the period instead, the count reads only the range but sorts it by edge, and
# ranking the range's costs per edge in one pass took 2.3x the CPU of the /handovers answer for a month of a
# 10,000-case district: 26.5 ms against 11.3.)
for _period in ("month", "week", "day"):
    Index(f"ix_audit_returns_{_period}_edges", returns.c.from_department, returns.c.to_department,
          returns.c[f"returned_{_period}"], returns.c.cost_seconds)

# --- The outcome mix narrowed to a department (the last verdict's lead) or a place (the case's district and
# street): partial indexes of the cases with a verdict, led by the unit, so a unit's verdicts (of a month) are
# one range of one of them, read from the index alone (the city's mix, unnarrowed, reads ix_audit_cases_outcome).
_verdict = cases.c.last_outcome.is_not(None)
Index("ix_audit_cases_verdicts_by_lead", cases.c.last_lead_department, cases.c.last_callback_month,
      cases.c.last_outcome, cases.c.district, cases.c.street, sqlite_where=_verdict, postgresql_where=_verdict)
Index("ix_audit_cases_verdicts_by_place", cases.c.district, cases.c.street, cases.c.last_callback_month,
      cases.c.last_outcome, cases.c.last_lead_department, sqlite_where=_verdict, postgresql_where=_verdict)

# --- Issue 14, the recurring problems at a million cases (queries/recurring.py): the cases by place first, then
# subject and time, so the problems of one street (`district=&street=`) are one range of the index, and the whole
# city's are read in the order of their groups at every level (street, community, grid). Led by the subject
# instead, one street's problems scanned every case and sorted them: ~1 s at 1,000,000 cases.
# Covering on SQLite; PostgreSQL's b-tree entries are limited to ~2.7 kB, so there the street and subject alone.
Index("ix_audit_cases_by_place", cases.c.district, cases.c.street, cases.c.category, cases.c.community, cases.c.grid,
      cases.c.received_us, cases.c.case_id, cases.c.received_at).ddl_if(dialect="sqlite")
Index("ix_audit_cases_by_street", cases.c.district, cases.c.street, cases.c.category).ddl_if(dialect="postgresql")

# --- Issue 14, webhook deliveries and SLA warnings at a million cases (queries/signal_tallies.py): per (period kind,
# department, period), the department's deliveries (offers of every kind, in the period offered) and its SLA
# warnings per clock (in the period warned), as counted from the facts; marked stale in `audit_stale_groups` and
# refreshed with the department rows above (readmodel/groups.py), so a question reads a few rows.
signal_periods = Table("audit_signal_periods", _meta,
                       Column("period_kind", String(5), primary_key=True),
                       Column("department", String(_NAME), primary_key=True),
                       Column("period", String(10), primary_key=True), Column("tally", Text, nullable=False))

# --- Issue 14, the three rates and the rankings at a million cases (queries/rate_tallies.py, street_times.py): per
# (month, department), the responses answered (in time, and counted) and the verdicts (per outcome and satisfaction)
# per street, exact counts, kept with the figures above (the same marks, the same refresh: readmodel/groups.py);
# the tasks not answered yet are counted at the question (overdue depends on "now") from the small index below.
rate_periods = Table("audit_rate_periods", _meta,
                     Column("period_kind", String(5), primary_key=True),
                     Column("department", String(_NAME), primary_key=True),
                     Column("period", String(10), primary_key=True), Column("tally", Text, nullable=False))
_open_response = and_(offers.c.is_lead_case, offers.c.has_accepted_at, offers.c.respond_by_us.is_not(None),
                      offers.c.responded_us.is_(None))
Index("ix_audit_offers_open_responses", offers.c.offered_month, offers.c.department, offers.c.street_key,
      offers.c.respond_by_us, offers.c.is_lead_case, offers.c.has_accepted_at, offers.c.responded_us,
      sqlite_where=_open_response, postgresql_where=_open_response)

# The response times per (month, street) as the rankings decompose them: the count, the mean and the sum of squared
# deviations, float sums taken in ascending order of the times, so a group is counted afresh as a whole (never
# added to) whenever a lead task of its street offered in its month changes: marked in `audit_stale_streets` in the
# facts' transaction as the groups above are, refreshed with them.
street_times = Table("audit_street_times", _meta,
                     Column("period", String(7), primary_key=True),
                     Column("street_key", String(2 * _NAME + 1), primary_key=True),
                     Column("responded", Integer, nullable=False), Column("mean", Float, nullable=False),
                     Column("within_ss", Float, nullable=False))
stale_streets = Table("audit_stale_streets", _meta,
                      Column("period", String(7), primary_key=True),
                      Column("street_key", String(2 * _NAME + 1), primary_key=True))
