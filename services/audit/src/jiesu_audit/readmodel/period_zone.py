"""The read model's months, weeks and days are counted in one time zone, recorded with it: an audit started
with another zone on the same database would mix two calendars in one table, so it refuses to start."""
from __future__ import annotations

from sqlalchemy import insert, select

from jiesu_shared.store import Database

from jiesu_audit.domain.times import count_periods_in
from jiesu_audit.readmodel.tables import cases, period_zone

BEFORE_ZONES = "UTC"  # what audit counted periods in before it recorded a zone


class PeriodZoneChanged(RuntimeError):
    pass


def settle_period_zone(database: Database, zone: str) -> None:
    count_periods_in(zone)
    database.create_schema()
    with database.engine.begin() as conn:
        recorded = conn.execute(select(period_zone.c.zone).where(period_zone.c.id == 1)).scalar()
        if recorded is None and conn.execute(select(cases.c.case_id).limit(1)).first() is not None:
            recorded = BEFORE_ZONES  # facts written by a version that did not record its zone
            conn.execute(insert(period_zone), {"id": 1, "zone": recorded})
        if recorded is None:
            conn.execute(insert(period_zone), {"id": 1, "zone": zone})
        elif recorded != zone:
            raise PeriodZoneChanged(
                f"audit's read model counts periods in {recorded}, but JIESU_TIMEZONE is {zone}: set it back, or "
                "rebuild audit (a fresh database catches up from the log) to count them in the new zone")
