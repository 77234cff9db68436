"""Audit counts months, weeks and days in the city's time zone, and will not mix two zones in one read model."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from jiesu_audit.bootstrap import build_app
from jiesu_audit.config import AuditSettings
from jiesu_audit.domain.times import count_periods_in, period_of
from jiesu_audit.readmodel.period_zone import PeriodZoneChanged


def test_a_moment_counts_in_the_citys_day_week_and_month() -> None:
    just_after_midnight_in_beijing = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # 00:30 on 1 December there
    try:
        count_periods_in("Asia/Shanghai")
        assert [period_of(just_after_midnight_in_beijing, p) for p in ("month", "week", "day")] == [
            "2026-12", "2026-W49", "2026-12-01"]
        count_periods_in("UTC")
        assert period_of(just_after_midnight_in_beijing, "month") == "2026-11"
    finally:
        count_periods_in(AuditSettings().timezone)


def test_an_audit_will_not_count_in_another_zone_on_a_read_model_counted_in_one(tmp_path: Path) -> None:
    settings = AuditSettings(embedded_log_path=str(tmp_path / "log.sqlite3"), topic="cases",
                             database_url=f"sqlite:///{tmp_path}/audit.sqlite3")
    build_app(settings)  # records Asia/Shanghai, the default
    try:
        with pytest.raises(PeriodZoneChanged, match="counts periods in Asia/Shanghai, but JIESU_TIMEZONE is UTC"):
            build_app(settings.model_copy(update={"timezone": "UTC"}))
    finally:
        count_periods_in(settings.timezone)
    build_app(settings)  # the same zone again: it starts


def test_a_read_model_from_before_zones_were_recorded_counts_as_utc(tmp_path: Path) -> None:
    from sqlalchemy import delete, insert

    from jiesu_shared.store import Database

    from jiesu_audit.readmodel.tables import cases, period_zone

    settings = AuditSettings(embedded_log_path=str(tmp_path / "log.sqlite3"), topic="cases",
                             database_url=f"sqlite:///{tmp_path}/audit.sqlite3")
    build_app(settings)
    database = Database(settings.database_url)
    with database.engine.begin() as conn:  # as an earlier version left it: facts, and no zone recorded
        conn.execute(delete(period_zone))
        conn.execute(insert(cases), {"case_id": "c-old", "version": 1, "state": b"", "bounces": 0})
    database.dispose()
    try:
        with pytest.raises(PeriodZoneChanged, match="counts periods in UTC, but JIESU_TIMEZONE is Asia/Shanghai"):
            build_app(settings)
    finally:
        count_periods_in(settings.timezone)
