"""When the SLA timer worker looks at its table next, and what wakes it sooner: a commit of this process that
stored a timer due before then. The worker sleeps until the earliest timer it knows of is due (or its re-check
bound), so an idle dispatch does nothing; a new timer due sooner must cut that sleep short."""
from __future__ import annotations

import asyncio
import threading
from datetime import datetime

from jiesu_shared.wakeup import Wakeup


class TimerAlarm:
    def __init__(self) -> None:
        self._wakeup = Wakeup()
        self._lock = threading.Lock()
        self._next_look: datetime | None = None  # None: the worker is looking, so any timer stored may be unseen

    def bind(self) -> None:
        """The worker, on its event loop, before it first looks."""
        self._wakeup.bind()

    def looking(self) -> None:
        """The worker is about to read its table: what is committed from now on may be missed by that read."""
        with self._lock:
            self._next_look = None
        self._wakeup.looking()

    def set_for(self, moment: datetime) -> None:
        """The worker has read its table and means to look again at `moment` (the dispatcher's clock)."""
        with self._lock:
            self._next_look = moment

    def stored(self, earliest_due: datetime) -> None:
        """Timers were committed, the earliest due at `earliest_due` (any thread, after the commit)."""
        with self._lock:
            sooner = self._next_look is None or earliest_due < self._next_look
        if sooner:
            self.ring()

    def ring(self) -> None:
        """Look now (any thread): e.g. the log was read past a due timer that waited for it."""
        try:
            self._wakeup.send_threadsafe()
        except RuntimeError:  # the worker's event loop has closed (shutting down): nobody left to wake
            pass

    async def wait(self, stop: asyncio.Event, seconds: float) -> None:
        await self._wakeup.wait(stop, seconds)
