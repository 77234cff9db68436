"""A fresh (or far behind) audit on the embedded log catches up the way a replay reads: straight from the
log file's rows, in offset order up to the end seen at the start, decoded by the replay's fast path — then
the ordinary subscription takes over from there. Kafka needs no such path: its consumer reads in bulk."""
from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select

from jiesu_shared.free_memory import return_free_memory

from jiesu_audit.readmodel.bulk_load import collect_batch, collecting_per_batch, commits_not_flushed, indexes_deferred
from jiesu_audit.readmodel.log_reading import Poison, read_stretches
from jiesu_audit.readmodel.projector import Decoded, Projector
from jiesu_audit.readmodel.tables import positions


class EmbeddedCatchUp:
    def __init__(self, path: Path, topic: str, projector: Projector, stretch_events: int, batch_cases: int) -> None:
        self.path, self.topic, self.projector, self.stretch_events = path, topic, projector, stretch_events
        self.batch_cases = batch_cases

    def run(self, start: int, end: int, progress: Any, dead_letter: Callable[[list], None],
            stopping: Callable[[], bool]) -> bool:
        """Apply offsets start..end in batches: stretches are taken into one transaction until it holds
        `batch_cases` histories, then their facts and the position are committed together (a crash loses
        only the open batch, read again from the stored position). True when it reached `end`."""
        database = self.projector.database
        with collecting_per_batch(), commits_not_flushed(database):
            with indexes_deferred(database) as deferral:
                finished = self._run(start, end, progress, dead_letter, stopping, by_case=deferral.deferred)
            # a duplicate about no case went on the timeline meanwhile, and was counted: taken off at the end
            progress.events -= deferral.duplicates_removed
            progress.duplicates += deferral.duplicates_removed
            if finished:  # counted once, at the end, with the indexes back and outside the batches' large cache
                self.projector.refresh_departments()
                return_free_memory()  # the count's pages too: answering questions starts from the working set
            return finished

    def _run(self, start: int, end: int, progress: Any, dead_letter: Callable[[list], None],
             stopping: Callable[[], bool], by_case: bool) -> bool:
        stretches = self.stretches(start, end)
        while True:
            with self.projector.batch([0], roomy_cache=True) as batch:
                batch.refresh, batch.by_case = False, by_case
                while len(batch.pending) < self.batch_cases:
                    item = next(stretches, None)
                    if item is None or stopping():
                        break
                    stretch, poison, next_offset = item
                    if poison:
                        dead_letter(poison)
                    batch.take(stretch, {0: next_offset})
            progress.events += batch.applied.events
            progress.duplicates += batch.applied.duplicates
            collect_batch()
            if item is None:
                return True
            if stopping():
                return False

    def stored_position(self) -> int:
        with self.projector.database.reading() as session:
            found = session.connection().execute(select(positions.c.next_offset).where(
                positions.c.topic == self.topic, positions.c.partition == 0)).scalar_one_or_none()
        return found or 0

    def end(self) -> int:
        if not self.path.exists():
            return 0
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT COALESCE(MAX(offset) + 1, 0) FROM records WHERE topic = ?",
                                (self.topic,)).fetchone()[0]
        except sqlite3.OperationalError:  # no records table yet: an empty log
            return 0
        finally:
            conn.close()

    def stretches(self, start: int, end: int) -> Iterator[tuple[list[Decoded], list[Poison], int]]:
        """(decoded events, poison [(offset, key, value, headers, reason)], next offset) per stretch."""
        for events, poison, next_offset in read_stretches(self.path, self.topic, self.stretch_events, start, end):
            yield [Decoded(0, offset, event, text) for offset, event, text in events], poison, next_offset
