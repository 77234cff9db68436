"""Small pure helpers for times and statistics, defined once so every figure is computed the same way."""
from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if not isinstance(value, str) or not value:
        return None
    try:  # Python 3.11 reads a trailing "Z" itself: the usual UTC time is parsed once, and kept as it is
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = _with_z_as_offset(value)
        if parsed is None:
            return None
    zone = parsed.tzinfo
    return parsed if zone is UTC else parsed.astimezone(UTC) if zone else parsed.replace(tzinfo=UTC)


def _with_z_as_offset(value: str) -> datetime | None:
    """What a "Z" anywhere else meant before (a date alone, "2026-01-01Z", reads as that day in UTC)."""
    if "Z" not in value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def median(values: Sequence[float]) -> float | None:
    """The middle value; for an even count, the mean of the two middle ones."""
    return float(statistics.median(values)) if values else None


def p90(values: Sequence[float]) -> float | None:
    """Nearest-rank 90th percentile: the value at rank ceil(0.9·n) of the sorted values."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[math.ceil(0.9 * len(ordered)) - 1])


def ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 6) if denominator else None


# Months, weeks and days are the city's: a case received at 00:30 on 1 December in Beijing counts in December.
_period_zone = ZoneInfo("Asia/Shanghai")


def count_periods_in(zone: str) -> None:
    """Set once by audit's composition root (JIESU_TIMEZONE); the read model's period keys depend on it."""
    global _period_zone
    _period_zone = ZoneInfo(zone)
    _PERIODS_OF_DAY.clear()


# (month, week, day) keys by the local day: a few hundred days a year, where a catch-up asks millions of times.
_PERIODS_OF_DAY: dict[tuple[int, int, int], tuple[str, str, str]] = {}


def periods_of(moment: datetime) -> tuple[str, str, str]:
    """(month, week, day) keys of a moment, as `period_of` gives them, worked out once per local day."""
    local = moment.astimezone(_period_zone)
    day = (local.year, local.month, local.day)
    keys = _PERIODS_OF_DAY.get(day)
    if keys is None:
        keys = _PERIODS_OF_DAY[day] = (period_of(local, "month"), period_of(local, "week"), period_of(local, "day"))
    return keys


def period_of(moment: datetime, period: str) -> str:
    """'month' → 2026-11, 'week' → 2026-W47 (ISO), 'day' → 2026-11-22, in the deployment's time zone."""
    moment = moment.astimezone(_period_zone)
    if period == "day":
        return moment.strftime("%Y-%m-%d")
    if period == "week":
        year, week, _ = moment.isocalendar()
        return f"{year}-W{week:02d}"
    return moment.strftime("%Y-%m")
