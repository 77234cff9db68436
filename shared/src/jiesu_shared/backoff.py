"""Exponential back-off with full jitter, capped, reset once the other side answers: while a broker or a
database is away, clients that retry this way spread out instead of hammering it in step."""
from __future__ import annotations

import random
import threading


class Backoff:
    def __init__(self, first: float = 0.5, cap: float = 10.0) -> None:
        self.first, self.cap = first, cap
        self._failures = 0
        self._lock = threading.Lock()

    def next(self) -> float:
        """The pause before the next try: uniform in [0, min(cap, first * 2^failures)] ("full jitter")."""
        with self._lock:
            ceiling = min(self.cap, self.first * 2 ** min(self._failures, 32))
            self._failures += 1
        return random.uniform(0, ceiling)

    def reset(self) -> None:
        with self._lock:
            self._failures = 0

    @property
    def failures(self) -> int:
        return self._failures
