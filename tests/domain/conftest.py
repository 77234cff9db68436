"""Audit's read-model tests on both databases: a test that uses `read_models` (or a module fixture that uses
`module_read_models`) has `fold` and `fresh_database` build in SQLite files, then again in fresh PostgreSQL
databases on JIESU_TEST_POSTGRES_URL's server: one database per fold, dropped when the test (module) ends."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.domain.audit_readmodel import databases_from
from tests.support.scratch_databases import ScratchDatabases


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def read_model_backend(request: pytest.FixtureRequest) -> str:
    return request.param


def _scratch(backend: str, request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScratchDatabases]:
    server = request.getfixturevalue("postgres_server_url") if backend == "postgresql" else None
    made = ScratchDatabases(backend, tmp_path_factory.mktemp("audit-read-models"), server)
    try:
        with databases_from(made):
            yield made
    finally:
        made.close()


@pytest.fixture
def read_models(read_model_backend: str, request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScratchDatabases]:
    yield from _scratch(read_model_backend, request, tmp_path_factory)


@pytest.fixture(scope="module")
def module_read_models(read_model_backend: str, request: pytest.FixtureRequest,
                       tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScratchDatabases]:
    yield from _scratch(read_model_backend, request, tmp_path_factory)
