"""Which routing-rules version was in force at a moment: the times are moments, whatever offset or precision
they are written with (compared as text, `…T09:00:00+08:00` would sort after `…T02:00:00Z` though it is earlier)."""
from __future__ import annotations

import pytest

from jiesu_audit.replay.reading import RulesInForce


def test_rules_published_with_other_offsets_order_by_moment() -> None:
    rules = RulesInForce()
    rules.add("2026-11-21T09:00:00+08:00", "v1")  # 01:00 UTC
    rules.add("2026-11-21T02:00:00Z", "v2")
    assert rules.at("2026-11-21T00:59:59Z") is None
    assert rules.at("2026-11-21T01:30:00.5Z") == "v1"
    assert rules.at("2026-11-21T10:30:00+08:00") == "v2"  # 02:30 UTC


def test_the_moment_of_publishing_counts_whatever_its_precision() -> None:
    rules = RulesInForce()
    rules.add("2026-11-21T01:00:00Z", "v1")
    assert rules.at("2026-11-21T01:00:00.000000+00:00") == "v1"
    assert rules.at("2026-11-21T09:00:00+08:00") == "v1"
    assert rules.at("2026-11-21T00:59:59.999999+00:00") is None


def test_a_time_without_an_offset_is_utc() -> None:
    rules = RulesInForce()
    rules.add("2026-11-21T01:00:00", "v1")
    assert rules.at("2026-11-21T09:00:00+08:00") == "v1"


def test_a_time_that_is_no_moment_is_a_clear_error() -> None:
    rules = RulesInForce()
    with pytest.raises(ValueError, match="no ISO 8601 moment"):
        rules.add("yesterday", "v1")
