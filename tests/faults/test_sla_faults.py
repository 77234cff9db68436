"""The fault suite: dispatch and the agency-gateway as separate processes on the real Kafka broker, short
SLA clocks (respond within 8 s), a few dozen cases at a steady rate, departments answering webhooks early,
just in time or late — and a fault mid-load. After each: 0 missed breaches, 0 false breaches, each breach and
warning decided once (a warning owed whenever the clock ran past the warning's time), no reminder webhook for a warning
decided after the response, no case lost; each run prints dispatch's detection lag.
Every wait has a deadline; nothing sleeps in place of a condition."""
from __future__ import annotations

import os
import signal
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.faults.broker import PrivateBroker
from tests.faults.departments import Departments, connected_ports
from tests.faults.stack import RESPOND_WITHIN_SECONDS, Stack
from tests.faults.verdicts import LogReader, Verdicts
from tests.support.waiting import eventually_async

CASES, PER_SECOND, FAULT_AT = 48, 4.0, 16
SETTLE = timedelta(seconds=15)  # after the last deadline: detection lag plus a margin for a false breach to show


@pytest.fixture
def stack(tmp_path: Path, kafka_bootstrap: str) -> Iterator[Stack]:
    stack = Stack(bootstrap=kafka_bootstrap, state=tmp_path)
    try:
        yield stack
    finally:
        stack.down()


@pytest.fixture
async def reader(stack: Stack) -> AsyncIterator[LogReader]:
    reader = LogReader(stack.bootstrap, stack.topic, f"fault-reader-{stack.unique}")
    await reader.start()
    yield reader
    await reader.stop()


async def settled(reader: LogReader, cases: list[str]) -> Verdicts:
    """Every case offered, and the last response deadline long enough past for every verdict to be in."""
    async def probe() -> Verdicts | None:
        verdicts = await reader.catch_up()
        offered = {case for case, _, _ in verdicts.offered.values()}
        if not set(cases) <= offered:
            return None
        last = max(deadline for _, _, deadline in verdicts.offered.values())
        return verdicts if datetime.now(UTC) > last + SETTLE else None

    return await eventually_async(probe, timeout=180, interval=1.0, what="every case offered and decided")


def assert_lawful(verdicts: Verdicts, departments: Departments, fault: str) -> None:
    p50, p99 = verdicts.detection_lag()
    late = sum(verdicts.late(t) for t in verdicts.offered)
    owed = sum(verdicts.ran_past_warning(t) for t in verdicts.offered)
    print(f"\n[{fault}] {len(verdicts.received)} cases, {len(verdicts.offered)} tasks, {late} late, "
          f"{len(verdicts.breaches)} breaches, {len(verdicts.warnings)} warnings "
          f"({len(verdicts.decided_after_response)} decided after the response; "
          f"{verdicts.copies} read again under the same id); "
          f"dispatch detection lag p50 {p50:.2f}s p99 {p99:.2f}s")
    problems = {kind: found for kind, found in verdicts.problems().items() if found}
    problems |= {"reminders sent after the response": sorted(verdicts.decided_after_response & departments.reminders)}
    assert {kind: found for kind, found in problems.items() if found} == {}, problems
    assert late > 0 and len(verdicts.breaches) == late  # not vacuous: the late department did breach
    assert owed > late and len(verdicts.warnings) == owed  # and the just-in-time one was warned too


async def test_kill_9_of_dispatch_mid_load(stack: Stack, reader: LogReader) -> None:
    stack.up("dispatch", "gateway")

    def crash_and_restart() -> None:
        stack.kill("dispatch")
        stack.start("dispatch")

    cases = await stack.load(CASES, PER_SECOND, during={FAULT_AT: crash_and_restart})
    verdicts = await settled(reader, cases)
    assert stack.departments.failures == []
    assert_lawful(verdicts, stack.departments, "kill -9 of dispatch")


async def test_a_gateway_killed_with_deliveries_in_flight(stack: Stack, reader: LogReader,
                                                           postgres_database_url: str) -> None:
    stack.database_urls["gateway"] = postgres_database_url  # two gateway instances share their deliveries
    stack.up("dispatch", "gateway-a", "gateway-b")
    killed: dict[str, float] = {}

    def crash() -> None:
        # property-firm's endpoint holds each webhook 1.5 s: kill -9 gateway-a while it sends one of them
        def held_by_a() -> list[str]:
            ports = connected_ports(stack.processes["gateway-a"].process.pid, stack.departments.port)
            return [w for at, d, w, port in list(stack.departments.receipts)
                    if d == "property-firm" and time.monotonic() - at < 1.0 and port in ports]

        deadline = time.monotonic() + 60
        while not held_by_a() and time.monotonic() < deadline:
            time.sleep(0.02)  # polling the receiver for the moment to strike, with a deadline
        killed["webhooks"], killed["at"] = held_by_a(), stack.kill("gateway-a")  # type: ignore[assignment]

    cases = await stack.load(CASES, PER_SECOND, during={4: crash})  # early: all the load left to catch one
    verdicts = await settled(reader, cases)
    at = killed["at"]
    resent = {w: min((t for t, _, x, _ in stack.departments.receipts if x == w and t > at), default=None)
              for w in killed["webhooks"]}  # type: ignore[union-attr]
    delays = {w: None if t is None else round(t - at, 1) for w, t in resent.items()}
    print(f"\nwebhooks in flight when a gateway was killed, sent again by the other after (s): "
          f"{list(delays.values())}")
    assert delays, "gateway-a never held a webhook in flight to kill it on"
    assert all(d is not None and d < 15 for d in delays.values()), delays
    assert_lawful(verdicts, stack.departments, "gateway kill -9 with deliveries in flight")


async def test_two_dispatch_instances_on_postgresql_one_killed(stack: Stack, reader: LogReader,
                                                                postgres_database_url: str) -> None:
    stack.database_urls["dispatch"] = postgres_database_url
    stack.up("dispatch-a", "dispatch-b", "gateway")
    kill_one: Callable[[], float] = lambda: stack.kill("dispatch-a")  # noqa: E731  the survivor takes over
    cases = await stack.load(CASES, PER_SECOND, during={FAULT_AT: kill_one})
    verdicts = await settled(reader, cases)
    assert_lawful(verdicts, stack.departments, "two dispatch instances on PostgreSQL, one killed")


assert RESPOND_WITHIN_SECONDS < SETTLE.total_seconds()


def log_lines(stack: Stack) -> dict[str, int]:
    return {name: p.log_path.read_bytes().count(b"\n") for name, p in stack.processes.items()}


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["broker stop-start", "broker kill -9"])
async def test_the_broker_stopped_or_killed_mid_load(tmp_path: Path, how: signal.Signals) -> None:
    broker = PrivateBroker(tmp_path / "broker")
    broker.start()
    stack = Stack(bootstrap=broker.bootstrap, state=tmp_path)
    reader = LogReader(stack.bootstrap, stack.topic, f"fault-reader-{stack.unique}")
    outage: dict[str, object] = {}
    try:
        stack.up("dispatch", "gateway")
        await reader.start()

        def outage_and_return() -> None:
            before, began = log_lines(stack), time.monotonic()
            broker.stop(how)
            broker.start()
            outage["seconds"] = time.monotonic() - began
            outage["lines"] = {n: c - before[n] for n, c in log_lines(stack).items()}

        cases = await stack.load(CASES, PER_SECOND, during={FAULT_AT: outage_and_return})
        verdicts = await settled(reader, cases)
        seconds = float(outage["seconds"])  # type: ignore[arg-type]
        rates = {n: round(c / seconds, 1) for n, c in outage["lines"].items()}  # type: ignore[union-attr]
        print(f"\nbroker away {seconds:.1f}s; log lines a second meanwhile: {rates}")
        assert all(rate <= 5 for rate in rates.values()), rates
        assert_lawful(verdicts, stack.departments, f"{how.name} of the broker")
    finally:
        await reader.stop()
        stack.down()
        broker.stop(signal.SIGKILL)


async def test_steady_load_with_dispatch_lagging(stack: Stack, reader: LogReader) -> None:
    stack.up("dispatch", "gateway")
    paused: dict[str, float] = {}

    def lag_behind() -> None:
        # SIGSTOP: alive, holding its partitions, but reading nothing while responses and deadlines go by;
        # 9 s is longer than the respond clock and shorter than the consumer group's 10 s session
        pid = stack.processes["dispatch"].process.pid
        os.kill(pid, signal.SIGSTOP)
        try:
            paused["seconds"] = 9.0
            time.sleep(paused["seconds"])  # the lag itself is the fault: there is no condition to wait for
        finally:
            os.kill(pid, signal.SIGCONT)

    cases = await stack.load(CASES, PER_SECOND, during={FAULT_AT: lag_behind})
    verdicts = await settled(reader, cases)
    assert_lawful(verdicts, stack.departments, f"dispatch stopped {paused['seconds']:.0f}s mid-load (SIGSTOP), then resumed")
