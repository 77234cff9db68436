"""What the log says happened, read back from the beginning, and the rule it must obey: each respond
clock breaches if and only if the response happened after the deadline or not at all, exactly once; it
warns if and only if the response happened after the warning's time or not at all, exactly once; a warning
decided after the response says so (and no reminder goes out for it); every case offered.
"Once" counts decisions, by event id: after a broker outage the outbox relay may publish a record again
whose first send was written but never acknowledged (at-least-once), and consumers skip the copy by id."""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from jiesu_shared.bus.kafka import KafkaBus
from jiesu_shared.events import decode_record

from tests.faults.stack import RESPOND_WITHIN_SECONDS

WARN_AT = 0.8  # dispatch's default JIESU_SLA_WARN_AT


@dataclass
class Verdicts:
    received: set[str] = field(default_factory=set)
    offered: dict[str, tuple[str, str, datetime]] = field(default_factory=dict)  # task -> case, department, respond_by
    responded: dict[str, datetime] = field(default_factory=dict)
    warnings: dict[str, dict[str, datetime]] = field(default_factory=dict)  # task -> event id -> when appended
    breaches: dict[str, dict[str, datetime]] = field(default_factory=dict)
    copies: int = 0  # records read again under an id already read: the relay's at-least-once resends
    decided_after_response: set[str] = field(default_factory=set)  # ids of warnings that carry clock_stopped_at

    def note(self, kind: str, data: dict, at: datetime, event_id: str) -> None:
        if kind == "case.received.v1":
            self.received.add(data["case_id"])
        elif kind == "task.offered.v1":
            self.offered[data["task_id"]] = (data["case_id"], data["department_id"],
                                             datetime.fromisoformat(data["respond_by"]))
        elif kind == "task.responded.v1":
            self.responded.setdefault(data["task_id"], datetime.fromisoformat(data["responded_at"]))
        elif kind in ("sla.warning.v1", "sla.breached.v1") and data["clock"] == "respond":
            into = self.warnings if kind == "sla.warning.v1" else self.breaches
            decisions = into.setdefault(data["task_id"], {})
            self.copies += event_id in decisions
            decisions.setdefault(event_id, at)
            if data.get("clock_stopped_at"):
                self.decided_after_response.add(event_id)

    def warning_time(self, task: str) -> datetime:
        return self.offered[task][2] - timedelta(seconds=(1 - WARN_AT) * RESPOND_WITHIN_SECONDS)

    def ran_past_warning(self, task: str) -> bool:
        responded = self.responded.get(task)
        return responded is None or responded > self.warning_time(task)

    def late(self, task: str) -> bool:
        responded = self.responded.get(task)
        return responded is None or responded > self.offered[task][2]

    def problems(self) -> dict[str, list[str]]:
        offered_cases = {case for case, _, _ in self.offered.values()}
        return {
            "missed breaches": [t for t in self.offered if self.late(t) and t not in self.breaches],
            "false breaches": [t for t in self.breaches if not self.late(t)],
            "breaches more than once": [t for t, times in self.breaches.items() if len(times) > 1],
            "warnings more than once": [t for t, times in self.warnings.items() if len(times) > 1],
            # a warning's time is 80 % into the window: owed if and only if the clock was still running then,
            # even when dispatch decides it after the response (it then says so, and no reminder goes out)
            "missed warnings": [t for t in self.offered if self.ran_past_warning(t) and t not in self.warnings],
            "warnings for a stopped clock": [t for t in self.warnings if not self.ran_past_warning(t)],
            "cases lost": sorted(self.received - offered_cases),
        }

    def detection_lag(self) -> tuple[float, float]:
        """Deadline -> sla.breached, p50 and p99 in seconds."""
        lags = sorted((min(times.values()) - self.offered[t][2]).total_seconds()
                      for t, times in self.breaches.items())
        if not lags:
            return 0.0, 0.0
        return statistics.median(lags), lags[min(len(lags) - 1, round(0.99 * (len(lags) - 1)))]


class LogReader:
    """Reads the topic from its beginning, and on each catch_up() up to its current end."""

    def __init__(self, bootstrap: str, topic: str, group: str) -> None:
        self.verdicts = Verdicts()
        self._subscription = KafkaBus(bootstrap, client_id="fault-reader").subscription(group=group, topics=[topic])

    async def start(self) -> None:
        await self._subscription.start()

    async def stop(self) -> None:
        await self._subscription.stop()

    async def catch_up(self, partitions: int = 3, timeout: float = 60) -> Verdicts:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for record in await self._subscription.poll(timeout=0.5):
                envelope = decode_record(record.headers, record.value)
                self.verdicts.note(envelope.type, envelope.data, envelope.time, envelope.id)
            progress = await self._subscription.progress()
            if len(progress) >= partitions and all(p.caught_up for p in progress):
                return self.verdicts
        raise AssertionError(f"the log was not read to its end within {timeout}s")
