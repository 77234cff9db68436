"""Rebuild every case's timeline from a log, streamed, as audit folds it; run as a child so its peak
memory is its own: `python -m jiesu_simulator.bench.rebuild embedded|kafka WHERE TOPIC` prints JSON.

Events are folded as they are read and never held: what stays in memory is one history per case.
"""
from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from jiesu_audit.domain.history import CaseHistory, fold_into
from jiesu_audit.replay.sources import EmbeddedSource, KafkaSource


async def rebuild(kind: str, where: str, topic: str) -> dict:
    source = EmbeddedSource(Path(where), topic) if kind == "embedded" else KafkaSource(where, topic)
    await source.total()  # the log's bounds: found before the clock starts, as a replay does once
    histories: dict[str, CaseHistory] = {}
    events = poison = 0
    started = time.perf_counter()
    async for item in source.items():
        if item.envelope is None:
            poison += 1
        else:
            fold_into(histories, item.envelope)
            events += 1
    return {"events": events, "poison": poison, "cases": len(histories), "seconds": time.perf_counter() - started}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(rebuild(*sys.argv[1:4]))))
