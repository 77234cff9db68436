from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from jiesu_shared.settings import ServiceSettings


class AuditSettings(ServiceSettings):
    database_url: str = "sqlite:///.jiesu/audit.sqlite3"
    port: int = 8004
    three_rates_file: str | None = None  # JIESU_THREE_RATES_FILE; the packaged definitions when unset
    timezone: str = "Asia/Shanghai"  # JIESU_TIMEZONE, as the console's: the zone months, weeks and days are counted in
    # The consumer's memory: folded histories of this many recently active cases (~3 KiB each) are kept at
    # hand, and up to this many events are applied in one transaction; neither grows with the log.
    cached_cases: int = 5_000
    # A stretch's decoded events are held while it is folded: 10,000 held ~18 MiB more at the peak (a catch-up at
    # 100,000 cases: 312.5 against 291.8 MiB), which the 300 MiB goal has no room for.
    stretch_events: int = 5_000
    # A fresh audit's catch-up holds the histories of up to this many cases in one transaction and writes
    # each one's facts once when it commits (~3 KiB each); more means fewer rewrites of a long-lived case.
    catch_up_cases: int = 10_000
    # Department figures whose facts changed are kept afresh at most this often (counted at a question
    # meanwhile, so answers are exact either way).
    refresh_seconds: float = 5.0
    # The linger (see ServiceSettings) of audit's consumer, longer: nothing waits on audit's timeline, and each
    # of its transactions rewrites the touched cases' facts (the timeline shows an event this much later at most).
    linger_seconds: float = 0.1
    caught_up_within_seconds: float = 5.0  # /health says caught_up when the log answered this recently that it was at its end

    def three_rates(self) -> dict[str, Any]:
        if self.three_rates_file:
            text = Path(self.three_rates_file).read_text("utf-8")
        else:
            text = resources.files("jiesu_audit").joinpath("three_rates.json").read_text("utf-8")
        config = json.loads(text)
        missing = {"response", "resolution", "satisfaction", "weights", "recurring"} - set(config)
        if missing:
            raise ValueError(f"three-rates configuration lacks {sorted(missing)}")
        return config
