"""Two replicas' first rollout: every instance of a service starts at once on a fresh PostgreSQL database,
and each creates the tables it finds missing. They must not fail on each other's CREATE TABLE (the
container test's two gateways did, before the schema was created under an advisory lock)."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import inspect, text

import jiesu_dispatch.adapters.tables  # noqa: F401  (dispatch's tables, with the kernel's, on one metadata)
import jiesu_gateway.adapters.tables  # noqa: F401
from jiesu_shared.store.database import Database

pytestmark = pytest.mark.postgres


def test_instances_starting_together_create_the_schema_once(postgres_server_url: str, unique: str) -> None:
    admin = Database(postgres_server_url)
    name = f"t_{unique}"
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = postgres_server_url.rsplit("/", 1)[0] + f"/{name}"
    instances = [Database(url) for _ in range(4)]
    failures: list[Exception] = []
    start = threading.Barrier(len(instances))

    def start_up(database: Database) -> None:
        start.wait()
        try:
            database.create_schema()
        except Exception as exc:  # noqa: BLE001  every failure is reported below
            failures.append(exc)

    threads = [threading.Thread(target=start_up, args=(db,)) for db in instances]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert failures == []
        assert {"event_store", "outbox", "deliveries", "dispatch_timers"} <= set(inspect(instances[0].engine).get_table_names())
    finally:
        for db in instances:
            db.dispose()
        with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
