"""A log that stays readable in a storm: at most a few lines a second, and what it held back is
counted and said with the next line it lets through (a failing endpoint or an absent broker can
otherwise write thousands of lines a second)."""
from __future__ import annotations

import logging
import threading
import time


class LineBudget:
    """A token bucket of log lines: `burst` at once, `per_second` after; counts the lines it refused.
    Not thread-safe on its own: its owner holds a lock around it."""

    def __init__(self, per_second: float = 2.0, burst: int = 5) -> None:
        self._rate, self._burst = per_second, float(burst)
        self._tokens, self._at = float(burst), time.monotonic()
        self.held_back = 0

    def take(self, now: float) -> bool:
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens < 1:
            self.held_back += 1
            return False
        self._tokens -= 1
        return True


class QuietLog:
    def __init__(self, logger: logging.Logger, per_second: float = 2.0, burst: int = 5) -> None:
        self._logger = logger
        self._budget = LineBudget(per_second, burst)
        self._lock = threading.Lock()

    def warning(self, message: str, *args: object) -> bool:
        """Log the line unless the rate is spent; return whether it was written."""
        with self._lock:
            if not self._budget.take(time.monotonic()):
                return False
            held, self._budget.held_back = self._budget.held_back, 0
        if held:
            message, args = message + " (and %d like it not logged)", (*args, held)
        self._logger.warning(message, *args)
        return True

    def held_back(self) -> int:
        with self._lock:
            return self._budget.held_back
