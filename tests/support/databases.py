"""A test session's databases: one schema made once and handed to every test, cheaply.

SQLite: the schema is created once in a template file that each test gets a copy of (copying a
file costs a millisecond, ``create_all`` tens of them). PostgreSQL (``GATEWAY_TEST_DATABASE_URL``
names the server): the session creates a database of its own there, so concurrent runs on one
server (developers, CI, xdist workers) never touch each other's tables; in-process tests share
its ``public`` schema, whose rows are deleted (and sequences restarted) before each test, which
costs a few milliseconds where dropping and creating the tables cost most of a second; a live
server gets a schema of its own in it (its URL sets ``search_path``: creating and dropping a
database costs seconds). The database is dropped at the end.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.pool import NullPool

from gateway.store.db import Database
from gateway.store.models import Base
from gateway.wire.journal import journal_url

POSTGRES_URL_ENV = "GATEWAY_TEST_DATABASE_URL"
SQLITE_FILE = "gateway.sqlite3"


class Databases:
    """The databases of one test session (one per xdist worker): see the module docstring."""

    def __init__(self, folder: Path, server_url: str | None = None) -> None:
        self._admin: Engine | None = None
        self._shared: Database | None = None
        self._schemas = 0
        if server_url is None:
            self._template: Path | None = folder / SQLITE_FILE
            _create_schema(f"sqlite:///{self._template}")
            self._in_process_file = folder / "in-process" / SQLITE_FILE
            self._in_process_file.parent.mkdir()
            shutil.copyfile(self._template, self._in_process_file)
            self._in_process: Database | None = Database(f"sqlite:///{self._in_process_file}")
            return
        self._in_process = None
        self._template = None
        self._server = make_url(server_url)
        self._admin = create_engine(self._server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self._name = f"gateway_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{self._name}"')
        shared_url = self._server.set(database=self._name).render_as_string(hide_password=False)
        _create_schema(shared_url)
        self._shared = Database(shared_url)
        with self._shared.engine.connect() as conn:
            self._sequences = list(
                conn.exec_driver_sql(
                    "SELECT sequence_name FROM information_schema.sequences"
                    " WHERE sequence_schema = current_schema()"
                ).scalars()
            )

    @classmethod
    def from_environment(cls, folder: Path) -> Databases:
        return cls(folder, os.environ.get(POSTGRES_URL_ENV) or None)

    def with_schema(self, _folder: Path) -> str:
        """The URL of a database with the schema and no rows, for one in-process test: the
        session's one in-process database, emptied (see ``in_process``)."""
        if self._template is not None:
            assert self._in_process is not None
            self._in_process.dispose()
            _replace_sqlite(self._template, self._in_process_file)
            return self._in_process.url
        assert self._shared is not None
        _clear(self._shared, self._sequences)
        return self._shared.url

    def in_process(self, url: str) -> Database | None:
        """The session's ``Database`` for ``url`` if it is the in-process database: one engine
        for every in-process test, so SQLAlchemy's statement cache (one per engine) is warm
        after the first test instead of compiling every statement again in each."""
        shared = self._in_process if self._template is not None else self._shared
        return shared if shared is not None and shared.url == url else None

    def empty(self, folder: Path) -> str:
        """The URL of a new, empty database (a live server creates its tables itself)."""
        if self._shared is None:
            folder.mkdir(parents=True, exist_ok=True)
            return f"sqlite:///{folder / SQLITE_FILE}"
        self._schemas += 1
        schema = f"live_{self._schemas}"
        with self._shared.engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = make_url(self._shared.url).update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    def close(self) -> None:
        if self._shared is not None:
            self._shared.dispose()
        if self._in_process is not None:
            self._in_process.dispose()
        if self._admin is None:
            return
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)')
        self._admin.dispose()


def _replace_sqlite(template: Path, target: Path) -> None:
    """Make ``target`` a fresh copy of ``template``, with no journal database beside it.

    The copy is renamed into place (a new file, not the old one overwritten) and the old file's
    WAL files removed: a connection a test left open keeps the old file, which it alone still
    sees, instead of mixing its pages into the new one.
    """
    journal = Path(make_url(journal_url(f"sqlite:///{target}")).database or "")
    for database in (target, journal):
        for suffix in ("-wal", "-shm"):
            database.with_name(database.name + suffix).unlink(missing_ok=True)
    journal.unlink(missing_ok=True)
    copy = target.with_name(target.name + ".copy")
    shutil.copyfile(template, copy)
    os.replace(copy, target)


def _create_schema(url: str) -> None:
    db = Database(url)
    try:
        db.create_all()
    finally:
        db.dispose()


def _clear(db: Database, sequences: list[str]) -> None:
    """Every row deleted and every sequence restarted: the state ``create_all`` leaves.

    DELETE rather than TRUNCATE: on tables of a few rows it takes a millisecond where TRUNCATE
    (new files for every table) takes hundreds.
    """
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        if sequences:
            restarts = ", ".join(f"setval('\"{name}\"', 1, false)" for name in sequences)
            conn.exec_driver_sql(f"SELECT {restarts}")
