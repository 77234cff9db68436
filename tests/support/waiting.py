"""Wait for a condition with a deadline, never a bare sleep."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(probe: Callable[[], T | None], *, timeout: float = 20.0, interval: float = 0.05,
               what: str = "condition") -> T:
    """Call `probe` until it returns something truthy; fail after `timeout` seconds, saying what was awaited."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            result = probe()
            if result:
                return result
        except AssertionError as exc:  # a probe may assert, to report what it saw last
            last_error = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last_error}")
        time.sleep(interval)


async def eventually_async(probe: Callable[[], Awaitable[T | None]], *, timeout: float = 20.0,
                           interval: float = 0.05, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)
