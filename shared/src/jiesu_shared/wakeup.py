"""A wake-up that any thread can send to a worker on an event loop: "something was just committed,
look now" instead of waiting for the next poll. Wake-ups coalesce: under load, one on its way serves
every commit made before the worker looks."""
from __future__ import annotations

import asyncio
import threading


class Wakeup:
    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._on_its_way = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self) -> None:
        """Called by the worker on its loop before it first looks; wake-ups before that are not needed."""
        self._loop = asyncio.get_running_loop()

    def send_threadsafe(self) -> None:
        if self._loop is not None and not self._on_its_way.is_set():
            self._on_its_way.set()
            self._loop.call_soon_threadsafe(self._event.set)

    def looking(self) -> None:
        """The worker is about to look (on its loop): commits from now on need a new wake-up, and one that
        arrives before the worker waits again is kept, so wait() returns at once."""
        self._on_its_way.clear()
        self._event.clear()

    async def wait(self, stop: asyncio.Event, seconds: float) -> None:
        """Until a wake-up since looking(), the stop, or `seconds` (the poll that catches anything not announced)."""
        waiters = [asyncio.ensure_future(self._event.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
