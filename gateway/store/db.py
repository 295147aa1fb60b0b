"""Engine, sessions and the unit of work. The one place that catches storage races.

``Database.run(work, write=True)`` runs ``work(session)`` in one transaction and retries it when a
concurrent writer won a compare-and-set (``StaleDataError``), a unique insert
(``IntegrityError``) or, on SQLite, the write lock (``database is locked``). Work functions are
therefore written to be re-runnable: they read, validate, then change.

SQLite: WAL journal, a busy timeout, and ``BEGIN IMMEDIATE`` for write transactions so that two
processes never deadlock upgrading a read lock; read transactions use a plain ``BEGIN``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import NullPool

from gateway.store.models import Base

log = logging.getLogger(__name__)

T = TypeVar("T")

#: How often a unit of work is tried before the race is reported as an error.
MAX_ATTEMPTS = 8


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so BEGIN is ours (SQLAlchemy's recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """An engine plus read and write session factories."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        if _is_sqlite(url):
            # One connection per checkout keeps pragmas simple; SQLite connections are cheap.
            self.engine = create_engine(url, echo=echo, poolclass=NullPool)
            _configure_sqlite(self.engine)
            write_engine: Engine = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        else:
            self.engine = create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10)
            write_engine = self.engine
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(write_engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return _is_sqlite(self.url)

    def create_all(self) -> bool:
        """Create missing tables; True when the database was empty (so it should be seeded)."""
        was_empty = not inspect(self.engine).has_table("merchants")
        Base.metadata.create_all(self.engine)
        return was_empty

    def drop_all(self) -> None:
        Base.metadata.drop_all(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any exception."""
        factory = self._write if write else self._read
        with factory() as session, session.begin():
            yield session

    def run(self, work: Callable[[Session], T], *, write: bool = True) -> T:
        """Run ``work`` in a transaction, retrying it when it lost a race (see module docstring)."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                with self.session(write=write) as session:
                    return work(session)
            except (StaleDataError, IntegrityError) as exc:
                if attempt == MAX_ATTEMPTS:
                    raise
                log.debug("unit of work lost a race (%s); retrying", type(exc).__name__)
            except OperationalError as exc:
                if attempt == MAX_ATTEMPTS or "locked" not in str(exc).lower():
                    raise
                log.debug("database locked; retrying")
            time.sleep(0.001 * attempt)
        raise AssertionError("unreachable")
