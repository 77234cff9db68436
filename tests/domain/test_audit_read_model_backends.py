"""The fixture that runs audit's read-model tests on both databases really hands `fold` the one it names: without
this, a fixture that silently fell back to SQLite would leave the PostgreSQL runs proving nothing."""
from __future__ import annotations

from tests.domain.audit_readmodel import fold
from tests.domain.audit_known_log import known_log


def test_fold_builds_its_read_model_in_the_chosen_database(read_models, read_model_backend) -> None:  # type: ignore[no-untyped-def]
    model = fold(known_log())
    assert model.database.engine.dialect.name == read_model_backend
    assert len(model) == 4
