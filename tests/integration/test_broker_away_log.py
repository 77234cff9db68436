"""While the broker is away aiokafka's errors are let through a few a second, and a summary says, when it
answers again, how many were held back; a failed webhook attempt is logged the same quiet way."""
from __future__ import annotations

import logging

import pytest

from jiesu_shared.bus.broker_away import BrokerAwayLog
from jiesu_shared.quiet_log import QuietLog


def test_a_storm_of_connect_errors_becomes_a_few_lines_and_a_summary(caplog: pytest.LogCaptureFixture) -> None:
    storm = logging.getLogger("aiokafka.test-storm")
    away = BrokerAwayLog(per_second=2.0, burst=5)
    storm.addFilter(away)
    with caplog.at_level(logging.INFO):
        for _ in range(10_000):
            storm.error("Unable connect to node with id 1: [Errno 111] Connection refused")
        storm.info("not an error: never held back")
        away.answered()
    lines = [r.getMessage() for r in caplog.records]
    assert 5 <= len([m for m in lines if m.startswith("Unable connect")]) <= 7
    assert "not an error: never held back" in lines
    (summary,) = [m for m in lines if "answers again" in m]
    assert "aiokafka log lines were held back" in summary and int(summary.split("; ")[1].split()[0]) >= 9_990
    away.answered()  # nothing more to say once it is back
    assert len([r for r in caplog.records if "answers again" in r.getMessage()]) == 1


def test_failed_webhook_attempts_are_logged_a_few_a_second_with_a_count(caplog: pytest.LogCaptureFixture) -> None:
    quiet = QuietLog(logging.getLogger("jiesu.test-webhooks"), per_second=2.0, burst=3)
    with caplog.at_level(logging.WARNING):
        written = sum(quiet.warning("webhook attempt %d to %s failed: %s", n, "housing", "HTTP 503")
                      for n in range(1_000))
    assert written == 3 and quiet.held_back() == 997
    assert caplog.records[0].getMessage() == "webhook attempt 0 to housing failed: HTTP 503"


def test_the_retry_pause_grows_with_full_jitter_to_its_cap_and_resets_when_the_broker_answers() -> None:
    from jiesu_shared.backoff import Backoff

    backoff = Backoff(first=0.5, cap=10.0)
    pauses = [backoff.next() for _ in range(40)]
    assert all(0 <= p <= min(10.0, 0.5 * 2 ** n) for n, p in enumerate(pauses))
    assert max(pauses[6:]) > 5.0 and len(set(pauses)) == 40  # it reaches well past the first pause, jittered
    backoff.reset()
    assert backoff.next() <= 0.5


async def test_errors_from_aiokafka_step_up_the_retry_pause_of_registered_clients(caplog: pytest.LogCaptureFixture) -> None:
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(bootstrap_servers="127.0.0.1:1")  # made, not started: its client holds the pause
    away = BrokerAwayLog()
    away.retry_with_backoff(consumer)
    assert consumer._client._retry_backoff == 0.5
    storm = logging.getLogger("aiokafka.test-backoff")
    storm.addFilter(away)
    with caplog.at_level(logging.ERROR):
        storm.error("Unable connect to node with id 1")
    assert 0 < consumer._client._retry_backoff <= 0.5 and away.backoff.failures == 1
    storm.error("another line of the same failure, within its pause")
    assert away.backoff.failures == 1
    away.answered()
    assert consumer._client._retry_backoff == 0.5 and away.backoff.failures == 0
