"""The offline simulator writes a lawful, reproducible, calibrated log."""
from __future__ import annotations

from collections import defaultdict
from itertools import islice

from jiesu_shared.catalogue import parse_payload

from jiesu_simulator.offline import Truth, generate
from jiesu_simulator.scenario import default_scenario


def stream_of(envelope) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The producer's stream: the gateway keeps one per task, the others one per case."""
    task = envelope.data.get("task_id") if envelope.source == "/jiesu/gateway" else None
    return envelope.source, task or envelope.subject


def test_every_event_is_catalogued_ordered_in_time_and_numbered_per_stream() -> None:
    events = list(generate(cases=300, seed=7))
    heads: dict[tuple[str, str], int] = defaultdict(int)
    seen_ids: set[str] = set()
    for previous, envelope in zip([None, *events], events):
        parse_payload(envelope.type, envelope.data)  # raises if not lawful per the catalogue
        assert previous is None or previous.time <= envelope.time
        key = stream_of(envelope)
        assert envelope.sequence == heads[key] + 1, f"{key} jumped to {envelope.sequence}"
        heads[key] = envelope.sequence
        assert envelope.causationid is None or envelope.causationid in seen_ids  # causes come first
        seen_ids.add(envelope.id)
    first_of_case = {}
    for envelope in events:
        first_of_case.setdefault(envelope.subject, envelope)
    assert {e.type for e in first_of_case.values()} == {"case.received.v1"}


def test_the_same_seed_writes_the_same_log_and_another_seed_another() -> None:
    def head(seed: int) -> list[str]:
        return [e.model_dump_json() for e in islice(generate(cases=50, seed=seed), 200)]

    assert head(3) == head(3)
    assert head(3) != head(4)


def test_outcomes_and_subjects_follow_the_seeds_calibration() -> None:
    scenario = default_scenario()
    truth = Truth(planted=scenario.planted)
    for _ in generate(cases=4000, seed=11, scenario=scenario, truth=truth):
        pass
    share = {k: v / truth.cases for k, v in truth.outcomes.items()}
    for outcome, expected in scenario.outcomes.items():
        assert abs(share.get(outcome, 0) - expected) < 0.03, (outcome, share.get(outcome))
    property_share = truth.subjects["property_management"] / truth.cases
    assert 0.62 <= property_share <= 0.73  # seed 000: 62–73% of cases
    assert truth.returns_by_department.most_common(1)[0][0] == scenario.planted["wrong_returner"]
