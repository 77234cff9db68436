"""The watermark: how far, in event time, dispatch has read each partition of the log."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jiesu_shared.bus.port import PartitionProgress, Record

from jiesu_dispatch.watermark import Watermarks

T0 = datetime.now(UTC).replace(microsecond=0)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def record(partition: int, seconds: float) -> Record:
    return Record("t", partition, 0, b"k", b"{}", (("ce_time", at(seconds).isoformat().encode()),), 0)


def fetched(partition: int, seconds: float, caught_up: bool) -> PartitionProgress:
    return PartitionProgress("t", partition, at(seconds).timestamp(), caught_up)


def marks() -> Watermarks:
    return Watermarks(allowed_lateness=timedelta(seconds=1), outage_after=timedelta(seconds=3),
                      recovery_grace=timedelta(hours=1))


def test_nothing_is_known_of_a_partition_not_read_yet() -> None:
    w = marks()
    assert w.of(0) is None and w.of(None) is None
    w.observe([record(0, 10)], [fetched(0, 10.5, caught_up=False)])
    assert w.of(1) is None and w.of(0) == at(9)  # the newest event read, less the allowed lateness


def test_a_partition_read_to_its_end_is_read_up_to_that_moment() -> None:
    w = marks()
    w.observe([record(0, 10)], [fetched(0, 10.1, caught_up=False), fetched(1, 10.2, caught_up=True)])
    w.observe([], [fetched(0, 12, caught_up=True), fetched(1, 12.5, caught_up=False)])
    assert w.of(0) == at(11) and w.of(1) == at(9.2)  # a partition that fell behind does not go back
    assert w.of(None) == at(9.2)  # a case whose partition is unknown waits for the least of them


def test_after_the_log_was_away_the_watermark_holds_while_outboxes_flush() -> None:
    w = marks()
    w.observe([], [fetched(0, 10, caught_up=True)])
    w.observe([record(0, 40)], [fetched(0, 40, caught_up=True)])  # 30 s without an answer: the broker was away
    assert w.of(0) == at(9)  # held where it was for the grace period, not leapt to the present
