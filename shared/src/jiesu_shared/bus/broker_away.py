"""While the broker is away, aiokafka logs every failed connect and request (from tens to thousands of
lines a second): let a few a second through, count the rest, and say once, when the broker answers
again, how long it was away and how many lines were held back."""
from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger("jiesu.bus")


class BrokerAwayLog(logging.Filter):
    def __init__(self, per_second: float = 2.0, burst: int = 5) -> None:
        super().__init__()
        self._rate, self._burst = per_second, float(burst)
        self._tokens, self._at = float(burst), time.monotonic()
        self._held_back = 0
        self._away_since: float | None = None
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        with self._lock:
            now = time.monotonic()
            self._away_since = self._away_since or now
            self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
            self._at = now
            if self._tokens < 1:
                self._held_back += 1
                return False
            self._tokens -= 1
            return True

    def answered(self) -> None:
        """The broker answered: if it had been away, say so once."""
        with self._lock:
            if self._away_since is None:
                return
            away, held = time.monotonic() - self._away_since, self._held_back
            self._away_since, self._held_back = None, 0
        if held or away > 2:
                log.warning("Kafka answers again after %.1f s of errors; %d aiokafka log lines were held back", away,
                        held)


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
