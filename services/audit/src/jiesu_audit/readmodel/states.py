"""The folded histories of recently active cases, bounded: the cases a stretch of the log is busy with stay
at hand, the rest are loaded from their rows when an event about them comes (memory does not grow with
the number of cases).

A cached history is trusted only while this instance has read its partition without a gap: when the
stored position of a partition is not where this instance left it, another instance went on with it
(Kafka moved the partition), and the partition's histories are loaded afresh."""
from __future__ import annotations

from collections import OrderedDict

from jiesu_audit.domain.history import CaseHistory


class CaseStates:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[str, tuple[int, int, CaseHistory]] = OrderedDict()
        self._generation: dict[int, int] = {}  # partition -> generation of what was read without a gap
        self._left_at: dict[int, int] = {}  # partition -> next offset after what this instance wrote

    def continuing(self, partition: int, stored_next: int) -> None:
        """Before using the cache for a partition: drop its histories if someone else moved it on."""
        if self._left_at.get(partition) != stored_next:
            self._generation[partition] = self._generation.get(partition, 0) + 1

    def left_at(self, partition: int, next_offset: int) -> None:
        self._left_at[partition] = next_offset

    def get(self, partition: int, case_id: str) -> CaseHistory | None:
        entry = self._entries.get(case_id)
        if entry is None or entry[0] != partition or entry[1] != self._generation.get(partition, 0):
            return None
        self._entries.move_to_end(case_id)
        return entry[2]

    def put(self, partition: int, history: CaseHistory) -> None:
        self._entries[history.case_id] = (partition, self._generation.get(partition, 0), history)
        self._entries.move_to_end(history.case_id)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def forget_all(self) -> None:
        """After a failed write: what the cache holds may be ahead of the database."""
        self._entries.clear()
        self._left_at.clear()

    def __len__(self) -> int:
        return len(self._entries)
