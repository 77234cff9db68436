"""Look for planted values in bytes, place by place, and say exactly where each was found.

A value is searched for in every form it could take on its way through JSON, logs and databases: its UTF-8
bytes, its JSON-escaped form (`\\u53f8`, either case of hex), a phone's digits alone, and a coordinate's
IEEE 754 bytes (SQLite stores REALs big-endian, Parquet little-endian)."""
from __future__ import annotations

import json
import re
import sqlite3
import struct
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyarrow.parquet as pq

from tests.support.planted import Planted


def needles_of(planted: Planted) -> tuple[bytes, ...]:
    escaped = json.dumps(planted.value)[1:-1]
    forms = {planted.value, escaped, re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m[1].upper(), escaped)}
    if planted.phone_like:
        digits = "".join(ch for ch in planted.value if ch.isdigit())
        forms.add(digits[2:] if planted.value.startswith("+86") else digits)
    found = {form.encode() for form in forms}
    if planted.coordinate:
        found |= {struct.pack(">d", planted.number), struct.pack("<d", planted.number)}
    return tuple(sorted(found))


class Findings:
    """Counts of each label's needles per place scanned, in the order the places were scanned."""

    def __init__(self, needles: Mapping[str, Iterable[bytes]]) -> None:
        self.needles = {label: tuple(forms) for label, forms in needles.items()}
        self.places: dict[str, dict[str, int]] = {}
        self.sizes: dict[str, int] = {}

    @classmethod
    def of(cls, planted: Iterable[Planted]) -> Findings:
        return cls({p.label: needles_of(p) for p in planted})

    def scan(self, place: str, data: bytes | str) -> dict[str, int]:
        raw = data.encode() if isinstance(data, str) else data
        counts = {label: sum(raw.count(n) for n in forms) for label, forms in self.needles.items()}
        found = self.places.setdefault(place, {})
        for label, count in counts.items():
            if count:
                found[label] = found.get(label, 0) + count
        self.sizes[place] = self.sizes.get(place, 0) + len(raw)
        return {label: count for label, count in counts.items() if count}

    def leaks(self, *, except_places: Iterable[str] = ()) -> dict[str, dict[str, int]]:
        allowed = set(except_places)
        return {place: found for place, found in self.places.items() if found and place not in allowed}

    def table(self, title: str) -> str:
        width = max(len(place) for place in self.places) if self.places else 10
        lines = [title, f"{'place scanned':<{width}}  {'bytes':>9}  values found (count)"]
        for place, found in self.places.items():
            listed = " | ".join(f"{label} ({count})" for label, count in found.items()) or "-"
            lines.append(f"{place:<{width}}  {self.sizes[place]:>9}  {listed}")
        return "\n".join(lines)


def file_bytes(path: Path) -> bytes:
    return path.read_bytes() if path.exists() else b""


def sqlite_files(database: Path) -> list[Path]:
    """The database file and its write-ahead log and shared-memory index, those that exist."""
    return [p for p in (database, Path(f"{database}-wal"), Path(f"{database}-shm")) if p.exists()]


def sqlite_rows(database: Path) -> bytes:
    """Every value of every row of every table, decoded as SQLite returns it (text, blobs, numbers)."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        parts = [_value_bytes(value) for table in tables
                 for row in connection.execute(f'SELECT * FROM "{table}"') for value in row]
    finally:
        connection.close()
    return b"\n".join(parts)


def _value_bytes(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, float):
        return repr(value).encode() + b"\n" + struct.pack(">d", value)
    return str(value).encode()


def parquet_rows(path: Path) -> str:
    """The decoded rows: Parquet pages are compressed, so raw bytes alone could hide a value."""
    return json.dumps(pq.read_table(path).to_pylist(), ensure_ascii=False, default=str)
