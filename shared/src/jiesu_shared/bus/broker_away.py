"""While the broker is away, aiokafka logs every failed connect and request (from tens to thousands of
lines a second): let a few a second through, count the rest, and say once, when the broker answers
again, how long it was away and how many lines were held back. Its errors also drive the retry pause of
every aiokafka client registered here: exponential with full jitter, capped, reset once the broker answers
(aiokafka itself retries at one fixed pause)."""
from __future__ import annotations

import logging
import threading
import time
import weakref

from jiesu_shared.backoff import Backoff
from jiesu_shared.quiet_log import LineBudget

log = logging.getLogger("jiesu.bus")


class BrokerAwayLog(logging.Filter):
    def __init__(self, per_second: float = 2.0, burst: int = 5) -> None:
        super().__init__()
        self._budget = LineBudget(per_second, burst)
        self._away_since: float | None = None
        self._lock = threading.Lock()
        self.backoff = Backoff(first=0.5, cap=10.0)
        self._clients: weakref.WeakSet = weakref.WeakSet()
        self._next_step_at = 0.0  # one back-off step per pause, however many lines one failure writes

    def retry_with_backoff(self, client: object) -> None:
        """Register an AIOKafkaProducer or AIOKafkaConsumer (started) whose retry pause this filter sets."""
        self._clients.add(client)
        _set_retry_pause(client, self.backoff.first)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        with self._lock:
            now = time.monotonic()
            self._away_since = self._away_since or now
            if now >= self._next_step_at:
                pause = max(0.05, self.backoff.next())
                self._next_step_at = now + pause
                for client in list(self._clients):
                    _set_retry_pause(client, pause)
            return self._budget.take(now)

    def answered(self) -> None:
        """The broker answered: if it had been away, say so once."""
        with self._lock:
            if self._away_since is None:
                return
            away, held = time.monotonic() - self._away_since, self._budget.held_back
            self._away_since, self._budget.held_back, self._next_step_at = None, 0, 0.0
            self.backoff.reset()
            for client in list(self._clients):
                _set_retry_pause(client, self.backoff.first)
        if held or away > 2:
            log.warning("Kafka answers again after %.1f s of errors; %d aiokafka log lines were held back", away,
                        held)


def _set_retry_pause(client: object, seconds: float) -> None:
    """aiokafka reads these before each retry's sleep (its public retry_backoff_ms is fixed at creation)."""
    for part in ("_client", "_sender", "_fetcher"):
        inner = getattr(client, part, None)
        if inner is not None and hasattr(inner, "_retry_backoff"):
            inner._retry_backoff = seconds
    coordinator = getattr(client, "_coordinator", None)
    if coordinator is not None and hasattr(coordinator, "_retry_backoff_ms"):
        coordinator._retry_backoff_ms = seconds * 1000


_FILTER = BrokerAwayLog()
_installed = False


def quiet_while_away() -> BrokerAwayLog:
    """Install the filter on every aiokafka logger (a logger's filter does not see its children's records)."""
    global _installed
    if not _installed:
        import aiokafka  # noqa: F401  (all its loggers exist once it is imported)

        names = [n for n in logging.Logger.manager.loggerDict if n == "aiokafka" or n.startswith("aiokafka.")]
        for name in ["aiokafka", *names]:
            logging.getLogger(name).addFilter(_FILTER)
        _installed = True
    return _FILTER
