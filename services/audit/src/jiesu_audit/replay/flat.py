"""The raw events as JSON Lines (CloudEvents, structured mode) and one flat row per event in Parquet."""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

SCHEMA = pa.schema([
    ("log_partition", pa.int32()), ("log_offset", pa.int64()), ("event_id", pa.string()), ("type", pa.string()),
    ("source", pa.string()), ("subject", pa.string()), ("case_id", pa.string()),
    ("time", pa.timestamp("us", tz="UTC")), ("sequence", pa.int64()), ("correlation_id", pa.string()),
    ("causation_id", pa.string()), ("actor", pa.string()), ("department", pa.string()), ("task_id", pa.string()),
    ("role", pa.string()), ("kind", pa.string()), ("category", pa.string()), ("district", pa.string()),
    ("street", pa.string()), ("community", pa.string()), ("grid", pa.string()), ("outcome", pa.string()),
    ("satisfaction", pa.string()), ("reason", pa.string()), ("citizen", pa.string()), ("data", pa.string()),
])
_BATCH = 5000


class JsonLines:
    """events.jsonl, written as the events are read: each line made once, for staging and this file alike."""

    def __init__(self, path: Path | None) -> None:
        self._out = path.open("wb", buffering=1 << 20) if path else None

    def add(self, lines: list[bytes]) -> None:
        if self._out is not None and lines:
            self._out.write(b"\n".join(lines) + b"\n")

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


class ParquetRows:
    """events.parquet, written as the staged events arrive in log order: batches of columns (`columns`)
    gathered into row groups of a fixed size, whatever size the batches come in."""

    def __init__(self, path: Path | None) -> None:
        self._writer = pq.ParquetWriter(path, SCHEMA, compression="zstd") if path else None
        self._pending: list[pa.RecordBatch] = []
        self._rows = 0

    def add(self, batch: pa.RecordBatch | None) -> None:
        """A batch of `columns`, or None when no Parquet was asked for."""
        if self._writer is None or batch is None:
            return
        self._pending.append(batch)
        self._rows += batch.num_rows
        while self._rows >= _BATCH:
            table = pa.Table.from_batches(self._pending, schema=SCHEMA).combine_chunks()
            self._writer.write_table(table.slice(0, _BATCH))
            rest = table.slice(_BATCH)
            self._pending, self._rows = rest.to_batches(), rest.num_rows

    def close(self) -> None:
        if self._writer is not None:
            if self._rows:
                self._writer.write_table(pa.Table.from_batches(self._pending, schema=SCHEMA).combine_chunks())
            self._writer.close()
