"""Group commit: one writer thread takes every item waiting for it into one transaction.

A durable commit costs an fsync and, on SQLite, the database's single write lock; paying both once per
batch instead of once per item is what lets intake accept cases faster than one commit at a time. Items that
arrive while a batch commits form the next batch, which starts no sooner than `interval` after the last one
began committing: under a steady load a few requests share each commit (and each turn of the outbox relay)
instead of one each, for at most `interval` more per request; a lone request after a quiet spell waits for
nothing but its own commit. Once `enough` items wait, their batch starts at once: a batch that size already
shares its commit well, and clients that each wait for their answer before sending again (16 at a time, say)
are not held to a batch per interval.

`write` gets the batch and returns an outcome per item: a result, or an exception for that item alone
(e.g. an Idempotency-Key reused) that does not stop the others. If `write` itself raises, nothing was
committed; each item is then written again on its own, so one bad item fails only its own caller.
(Items should carry the identities they create, so that a retry after a commit that did happen
after all conflicts instead of writing the same thing twice.)
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")
Outcome = Any  # an R, or the exception for that item
_STOP = object()


@dataclass(frozen=True)
class _Waiting(Generic[T]):
    item: T
    future: concurrent.futures.Future | asyncio.Future
    loop: asyncio.AbstractEventLoop | None  # an asyncio future is settled on its own loop


class GroupCommit(Generic[T, R]):
    def __init__(self, write: Callable[[Sequence[T]], Sequence[Outcome]], *, name: str, max_batch: int = 500,
                 interval: float = 0.0, enough: int = 16, on_committed: Callable[[], None] = lambda: None) -> None:
        self._write = write
        self._name = name
        self._max_batch = max_batch
        self._interval = interval
        self._enough = enough  # this many waiting start a batch before its interval ends
        self._on_committed = on_committed  # e.g. wake the outbox relay, once per batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()

    def submit(self, item: T) -> concurrent.futures.Future[R]:
        """From any thread; the future is settled once the item's batch committed (or failed)."""
        future: concurrent.futures.Future[R] = concurrent.futures.Future()
        self._enqueue(_Waiting(item, future, None))
        return future

    async def write(self, item: T) -> R:
        """From a coroutine: wait for the item's batch without holding a thread."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._enqueue(_Waiting(item, future, loop))
        return await future

    def stop(self) -> None:
        """Finish what was submitted, then end the writer thread (a later submit starts a new one)."""
        with self._starting:
            thread, self._thread = self._thread, None
            if thread is not None:
                self._queue.put(_STOP)
        if thread is not None:
            thread.join()

    def _enqueue(self, waiting: _Waiting) -> None:
        with self._starting:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=f"group-commit-{self._name}", daemon=True)
                self._thread.start()
            self._queue.put(waiting)

    def _run(self) -> None:
        stopping = False
        next_batch = 0.0
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            while len(batch) < self._max_batch:
                # Paced: until the interval ends, let the items coming meanwhile join, unless enough already did.
                left = next_batch - time.monotonic() if len(batch) < self._enough else 0
                try:
                    waiting = self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
                if waiting is _STOP:
                    stopping = True
                    break
                batch.append(waiting)
            next_batch = time.monotonic() + self._interval
            try:
                outcomes = self._outcomes([w.item for w in batch])
            except BaseException as exc:  # never leave a caller waiting for ever
                outcomes = [exc] * len(batch)
            _settle_all(batch, outcomes)

    def _outcomes(self, items: list[T]) -> list[Outcome]:
        try:
            outcomes = list(self._write(items))
        except Exception as exc:
            if len(items) == 1:
                return [exc]
            log.warning("%s: a batch of %d failed (%r); writing each on its own", self._name, len(items), exc)
            outcomes = [self._alone(item) for item in items]
        self._notify_committed()
        if len(outcomes) != len(items):  # a bug in `write`: fail every caller rather than guess
            raise RuntimeError(f"{self._name}: {len(outcomes)} outcomes for {len(items)} items")
        return outcomes

    def _alone(self, item: T) -> Outcome:
        try:
            return self._write([item])[0]
        except Exception as exc:
            return exc

    def _notify_committed(self) -> None:
        try:
            self._on_committed()
        except Exception:
            log.exception("%s: the on-commit callback failed", self._name)


def _settle_all(batch: list[_Waiting], outcomes: list[Outcome]) -> None:
    on_loops: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, Outcome]]] = defaultdict(list)
    for waiting, outcome in zip(batch, outcomes, strict=True):
        if waiting.loop is None:
            _settle(waiting.future, outcome)
        else:
            on_loops[waiting.loop].append((waiting.future, outcome))
    for loop, settled in on_loops.items():  # one wake-up per loop, not one per item
        try:
            loop.call_soon_threadsafe(_settle_each, settled)
        except RuntimeError:
            pass  # the loop is closed: nobody waits for these any more


def _settle_each(settled: list[tuple[asyncio.Future, Outcome]]) -> None:
    for future, outcome in settled:
        _settle(future, outcome)


def _settle(future: concurrent.futures.Future | asyncio.Future, outcome: Outcome) -> None:
    if future.done():  # an asyncio caller that gave up (its request was cancelled)
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
