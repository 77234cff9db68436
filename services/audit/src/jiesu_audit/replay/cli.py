"""`python -m jiesu_audit replay …` (or `jiesu-audit-replay …`): research exports from the log."""
from __future__ import annotations

import argparse
import asyncio
import importlib.abc
import json
import sqlite3
import sys
from pathlib import Path

from jiesu_audit.replay.run import FORMATS, replay
from jiesu_audit.replay.sources import EmbeddedSource, FileSource, KafkaSource


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jiesu-audit replay", description=(
        "Replay the whole event log (bounded at its end when the replay starts) into de-identified exports: "
        "events.jsonl (CloudEvents), events.parquet, events.xes (IEEE 1849), events.ocel.json (OCEL 2.0) "
        "and summary.json (counts and every poison record's position)."))
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--kafka", metavar="BOOTSTRAP", help="read the topic from this Kafka cluster")
    source.add_argument("--embedded", metavar="LOG.sqlite3", type=Path, help="read the embedded log file")
    source.add_argument("--file", metavar="EVENTS.jsonl", type=Path,
                        help="read an exported file: one CloudEvent (structured JSON) per line")
    p.add_argument("--topic", default="jiesu.case-events", help="topic (Kafka or embedded log)")
    p.add_argument("--out", type=Path, required=True, help="directory for the exports")
    p.add_argument("--key-file", type=Path, help=(
        "file holding the pseudonym key (≥16 bytes; give the same key to reproduce an export byte for byte). "
        "Default: a random key, forgotten after the export"))
    p.add_argument("--formats", default=",".join(FORMATS), help=f"comma-separated subset of {','.join(FORMATS)}")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


MIN_KEY_BYTES = 16


def read_key(path: Path) -> bytes:
    """The pseudonym key the caller gave: it must be there, or the export would not be what they asked for."""
    key = path.read_bytes().strip()
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"key file {path} holds {len(key)} bytes (surrounding white space aside); a pseudonym "
                         f"key needs at least {MIN_KEY_BYTES}. Give a file with a key, or leave --key-file out "
                         "for a random key")
    return key


def without_pandas() -> None:
    """For an export run as a process of its own: pandas is never imported into it. pyarrow imports pandas on
    its first `pa.array` only to ask whether the values are a pandas object (the export's are lists): ~50 MiB
    and 0.7 CPU-seconds with its byte-code cached (2 or more without), each export, for nothing. pyarrow does
    without it when the import fails."""
    if "pandas" not in sys.modules:
        sys.meta_path.insert(0, _NoPandas())


class _NoPandas(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):  # type: ignore[no-untyped-def]
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError(f"{name}: not imported by the export (see `without_pandas`)", name=name)
        return None


def main(argv: list[str] | None = None) -> int:
    """The command (`jiesu-audit-replay`; or called with its arguments, e.g. by `python -m jiesu_audit replay`)."""
    if argv is None:  # the command itself: a process of its own
        without_pandas()
    args = parser().parse_args(argv)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    if unknown := sorted(set(formats) - set(FORMATS)):
        parser().error(f"unknown format(s): {', '.join(unknown)}")
    if args.kafka:
        source = KafkaSource(args.kafka, args.topic)
    elif args.embedded:
        source = EmbeddedSource(args.embedded, args.topic)
    else:
        source = FileSource(args.file)
    try:
        key = read_key(args.key_file) if args.key_file else None
        summary = asyncio.run(replay(source, args.out, key=key, formats=formats, progress=not args.no_progress))
    except (OSError, LookupError, ValueError, sqlite3.Error) as exc:
        print(f"replay failed: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary.as_dict(), indent=2, ensure_ascii=False, sort_keys=True))
    if summary.poison:
        print(f"{len(summary.poison)} poison record(s) skipped; positions in summary.json", file=sys.stderr)
    return 0
