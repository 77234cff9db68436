"""The offline simulator's warnings, breaches and no-shows are exactly those dispatch's own timers
would yield: for each offered task and clock, dispatch's verdict on the case as it stood at the timer's
time (its policy, its fold, its `fire`) is what the simulated log holds."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from pydantic import BaseModel

from jiesu_shared.catalogue import dispatch as d
from jiesu_shared.catalogue import parse_payload

from jiesu_dispatch.domain.sla import timers_for
from jiesu_dispatch.domain.state import fold
from jiesu_dispatch.domain.timers import fire
from jiesu_simulator.offline import generate
from jiesu_simulator.stories import POLICY

CLOCKS = ("respond", "resolve", "report_in")  # the simulator does not play the decision clock


def verdict_key(event: BaseModel) -> tuple[str, str, str] | None:
    if isinstance(event, d.SlaWarning | d.SlaBreached):
        return event.task_id, event.clock, "warning" if isinstance(event, d.SlaWarning) else "breach"
    if isinstance(event, d.WhistleNoShow):
        return f"{event.whistle_id}/{event.department_id}", "report_in", "breach"
    return None


def test_the_simulated_log_obeys_dispatchs_clocks() -> None:
    cases: dict[str, list[tuple[BaseModel, datetime]]] = defaultdict(list)
    for envelope in generate(cases=300, seed=11):
        cases[envelope.subject].append((parse_payload(envelope.type, envelope.data), envelope.time))
    expected, logged = set(), set()
    for history in cases.values():
        logged |= {k for event, _ in history if (k := verdict_key(event)) is not None and k[1] in CLOCKS}
        for offer, offered_at in [(e, t) for e, t in history if isinstance(e, d.TaskOffered)]:
            for timer in timers_for(offer, offered_at, POLICY.warn_at):
                if timer.clock in CLOCKS:
                    as_it_stood = fold([(e, t) for e, t in history if t <= timer.due_at])
                    expected |= {k for e in fire(as_it_stood, timer) if (k := verdict_key(e)) is not None}
    assert logged == expected
    assert any(k[2] == "warning" for k in logged) and any(k[1] == "report_in" for k in logged)  # not vacuous
