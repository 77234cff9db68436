"""退单 has one name: `task.returned.v2`. Logs written before it hold `task.rejected.v1` (with `rejected_at`);
every reader folds those exactly as the new events — audit and dispatch's what-if, which read raw events, and
the services that parse through the catalogue's upcaster — and a reference department configured with the old
`reject_…` names behaves as before."""
from __future__ import annotations

import json

import pytest

from jiesu_shared.catalogue import parse_payload
from jiesu_shared.catalogue.gateway import TaskReturned
from jiesu_shared.events import Envelope

from jiesu_audit.domain.history import fold as audit_fold
from jiesu_dispatch.whatif.history import fold as what_if_fold
from jiesu_reference_department.config import ReferenceDepartmentSettings
from tests.domain.audit_known_log import C1, C2, known_log

RETURNS_IN_THE_KNOWN_LOG = 3


def as_written_before(envelope: Envelope) -> Envelope:
    """The event as a gateway before the rename wrote it."""
    if envelope.type != "task.returned.v2":
        return envelope
    data = {k: v for k, v in envelope.data.items() if k != "returned_at"}
    return envelope.model_copy(update={"type": "task.rejected.v1",
                                       "data": {**data, "rejected_at": envelope.data["returned_at"]}})


@pytest.fixture(scope="module")
def logs() -> tuple[list[Envelope], list[Envelope]]:
    new = known_log()
    old = [as_written_before(e) for e in new]
    assert sum(e.type == "task.returned.v2" for e in new) == RETURNS_IN_THE_KNOWN_LOG
    assert sum(e.type == "task.rejected.v1" for e in old) == RETURNS_IN_THE_KNOWN_LOG
    return new, old


def test_audit_folds_an_old_return_exactly_as_a_new_one(logs: tuple[list[Envelope], list[Envelope]]) -> None:
    new, old = logs
    histories = audit_fold(new)
    assert audit_fold(old) == histories
    returned = [(o.department, o.return_reason) for o in histories[C2].offers.values() if o.returned_at]
    assert returned == [("property-firm", "wrong_jurisdiction"), ("housing", "not_our_remit")]
    assert histories[C1].flying_seconds > 0  # the return let the case go: it flew until someone accepted


def test_the_what_if_reads_old_returns_as_new_ones(logs: tuple[list[Envelope], list[Envelope]]) -> None:
    new, old = logs
    cases = what_if_fold(new)
    assert what_if_fold(old) == cases
    assert sum(len(c.returns) for c in cases.values()) == RETURNS_IN_THE_KNOWN_LOG


def test_every_old_return_parses_as_the_new_event(logs: tuple[list[Envelope], list[Envelope]]) -> None:
    new, old = logs
    pairs = [(n, o) for n, o in zip(new, old, strict=True) if o.type == "task.rejected.v1"]
    for new_event, old_event in pairs:
        parsed = parse_payload(old_event.type, old_event.data)
        assert isinstance(parsed, TaskReturned) and parsed == parse_payload(new_event.type, new_event.data)


def test_a_reference_department_configured_with_the_old_names_keeps_its_behaviour(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFDEPT_REJECT_RATE", "0.25")
    monkeypatch.setenv("REFDEPT_REJECT_REASONS", '["duplicate"]')
    old_override = {"housing": {"reject_rate": 1.0, "reject_note": "not ours"}}
    monkeypatch.setenv("REFDEPT_BEHAVIOUR_JSON", json.dumps(old_override))
    settings = ReferenceDepartmentSettings()
    housing, fire = settings.behaviour("housing"), settings.behaviour("fire-safety")
    assert (housing.return_rate, housing.return_reasons, housing.return_note) == (1.0, ["duplicate"], "not ours")
    assert (fire.return_rate, fire.return_reasons) == (0.25, ["duplicate"])
    monkeypatch.setenv("REFDEPT_BEHAVIOUR_JSON", json.dumps({"housing": {"return_rate": 0.5}}))
    assert ReferenceDepartmentSettings().behaviour("housing").return_rate == 0.5
