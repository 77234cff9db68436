"""A wider district from a simulated one: each event of the embedded log followed by `copies - 1` copies whose
every id (case, event, task, citizen…) differs in its UUID's version digit — so `copies` districts' cases
over the same months, in time order, each copy as lawful as the original. Writing a million cases through
the simulator takes hours of one core (~8,000 events per CPU-second); this takes minutes, for the benchmarks
that need a district of that size (the audit at 1,000,000 cases) rather than a new story per case.

    python -m jiesu_simulator.bench.widen SOURCE.sqlite3 TARGET.sqlite3 COPIES
"""
from __future__ import annotations

import re
import sqlite3
import sys
import time
from contextlib import closing
from pathlib import Path

_DIGITS = "4012356789abcdef"  # copy k < 16 takes the k-th as its version digit (the original keeps its 4)
_HEX = b"0123456789abcdef"
# A v4 UUID's version group ("-4xxx-" then the variant digit 8, 9, a or b): nothing else in an event looks so.
_VERSION = re.compile(rb"-4(?=[0-9a-f]{3}-[89ab])")
_VERSION_AND_NEXT = re.compile(rb"-4([0-9a-f])(?=[0-9a-f]{2}-[89ab])")
MAX_COPIES = 16 + 15 * 15
_BATCH = 20_000


def copy_of(text: bytes, copy: int) -> bytes:
    """Every v4 UUID in `text` renamed for copy `copy` (the same ids to the same new ids, lengths kept): copies
    below 16 change the version digit; later ones a version digit other than 4 and the next digit, rotated."""
    if copy == 0:
        return text
    if copy < 16:
        return _VERSION.sub(b"-" + _DIGITS[copy].encode(), text)
    digit, turn = _DIGITS[1 + (copy - 16) % 15].encode(), 1 + (copy - 16) // 15
    rotated = bytes.maketrans(_HEX, _HEX[turn:] + _HEX[:turn])
    return _VERSION_AND_NEXT.sub(lambda m: b"-" + digit + m.group(1).translate(rotated), text)


def widen(source: Path, target: Path, copies: int) -> int:
    """Write the wider log to `target` (a new file); returns the number of records written."""
    if not 1 <= copies <= MAX_COPIES:
        raise ValueError(f"copies must be 1..{MAX_COPIES}")
    if target.exists():
        raise FileExistsError(target)
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as read, \
            closing(sqlite3.connect(target, isolation_level=None)) as write:
        for (ddl,) in read.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL"):
            write.execute(ddl)
        write.execute("PRAGMA journal_mode=OFF")
        write.execute("PRAGMA synchronous=OFF")
        written = 0
        rows = read.execute("SELECT topic, offset, key, value, headers, timestamp_ms FROM records "
                            "ORDER BY topic, offset")
        while batch := rows.fetchmany(_BATCH // copies or 1):
            write.execute("BEGIN")
            write.executemany("INSERT INTO records (topic, offset, key, value, headers, timestamp_ms) "
                              "VALUES (?, ?, ?, ?, ?, ?)", _copies(batch, copies))
            write.execute("COMMIT")
            written += len(batch) * copies
        write.execute("PRAGMA journal_mode=WAL")  # as the embedded log keeps it
    return written


def _copies(batch: list[tuple], copies: int):  # type: ignore[no-untyped-def]
    for topic, offset, key, value, headers, timestamp in batch:
        for copy in range(copies):
            yield (topic, offset * copies + copy, copy_of(key, copy), copy_of(value, copy),
                   copy_of(headers.encode(), copy).decode(), timestamp)


if __name__ == "__main__":
    began = time.monotonic()
    count = widen(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))
    print({"records": count, "seconds": round(time.monotonic() - began, 1)})
