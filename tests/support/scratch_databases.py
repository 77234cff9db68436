"""Fresh, empty databases made on demand, each a test's own: SQLite files in a directory, or databases created on
a PostgreSQL server; all disposed (and on PostgreSQL dropped) when the owner closes them."""
from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import text

from jiesu_shared.store import Database


def create_postgres_database(server_url: str, name: str) -> str:
    """Create the database `name` on the server of `server_url`; return its URL."""
    _on_server(server_url, f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def drop_postgres_database(server_url: str, name: str) -> None:
    _on_server(server_url, f'DROP DATABASE "{name}" WITH (FORCE)')


def _on_server(server_url: str, statement: str) -> None:
    """A statement outside any transaction (CREATE/DROP DATABASE refuse one), on a connection of its own."""
    admin = Database(server_url)
    try:
        with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(statement))
    finally:
        admin.dispose()


class ScratchDatabases:
    """Calling it makes one more fresh database of `kind` ("sqlite" or "postgresql")."""

    def __init__(self, kind: str, directory: Path, server_url: str | None = None) -> None:
        if kind not in ("sqlite", "postgresql") or (kind == "postgresql" and not server_url):
            raise ValueError(f"no scratch databases of kind {kind!r} (PostgreSQL needs a server URL)")
        self.kind, self.directory, self.server_url = kind, directory, server_url
        self.made: list[tuple[str, Database]] = []

    def __call__(self) -> Database:
        name = f"t_{uuid.uuid4().hex[:12]}"
        if self.kind == "sqlite":
            url = f"sqlite:///{self.directory / name}.sqlite3"
        else:
            assert self.server_url is not None
            url = create_postgres_database(self.server_url, name)
        database = Database(url)
        self.made.append((name, database))
        return database

    def close(self) -> None:
        for name, database in self.made:
            database.dispose()
            if self.kind == "postgresql":
                assert self.server_url is not None
                drop_postgres_database(self.server_url, name)
        self.made.clear()
