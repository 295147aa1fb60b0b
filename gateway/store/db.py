"""Engine, sessions and the unit of work. The one place that catches storage races.

``Database.run(work, write=True)`` runs ``work(session)`` in one transaction and retries it when a
concurrent writer won a compare-and-set (``StaleDataError``), a unique insert
(``IntegrityError``), on SQLite the write lock (``database is locked``), or on PostgreSQL a
deadlock the server broke. Work functions are therefore written to be re-runnable: they read,
validate, then change. Requests do not lose races on contended rows in the first place: on
PostgreSQL they read what they change ``FOR UPDATE`` (``gateway.store.owned``,
``gateway.store.refunds``), so a concurrent writer waits instead of failing; on SQLite writers
take turns. A retry is for the rare writer that did not lock (the scheduler's due work).

SQLite: WAL journal, a busy timeout, and ``BEGIN IMMEDIATE`` for write transactions so that two
processes never deadlock upgrading a read lock; read transactions use a plain ``BEGIN``.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, inspect, make_url
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import QueuePool

from gateway.config import ConfigError, check_database_url
from gateway.private_files import private_file
from gateway.store.models import Base

log = logging.getLogger(__name__)

T = TypeVar("T")

#: How often a unit of work is tried before the race is reported as an error.
MAX_ATTEMPTS = 8


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _configure_sqlite(engine: Engine) -> None:
    database = _database_file(engine)
    if database is not None:

        @event.listens_for(engine, "do_connect")
        def _before_connect(*_args: Any) -> None:
            # Made private before SQLite opens (or creates) it: it holds every merchant's
            # secret key, and SQLite gives its journal files the database file's mode.
            with contextlib.suppress(OSError):  # no such folder: SQLite's error says so
                private_file(database)

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
        # On the DBAPI connection itself: every transaction starts here, and a statement through
        # SQLAlchemy's execution machinery cost several times what SQLite takes to run it.
        conn.connection.driver_connection.execute(_BEGIN[mode])


_BEGIN = {mode: f"BEGIN {mode}" for mode in ("DEFERRED", "IMMEDIATE")}


def _database_file(engine: Engine) -> Path | None:
    """The SQLite database's file; None for an in-memory database or a ``file:`` URI."""
    database = engine.url.database
    if not database or database == ":memory:" or engine.url.query.get("uri"):
        return None
    return Path(database)


class _WriteLock:
    """SQLite writers queue here instead of in SQLite's busy handler.

    SQLite lets one writer in at a time and makes the others poll with growing sleeps (up to
    100 ms each), so under 16 concurrent writers most of a request's time was spent asleep after
    the lock was already free. Writers of this process take a thread lock, then an ``flock`` on a
    file beside the database that every gateway process (web workers, ``gateway worker``) shares;
    both block in the kernel and wake as soon as the holder is done. Other programs writing the
    database still meet SQLite's own lock and busy timeout, as before.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():
            # A forked child opens its own descriptor: flock is per open file description.
            private_file(self.path)
            self._fd = os.open(self.path, os.O_RDWR)
            self._pid = os.getpid()
        return self._fd

    def __enter__(self) -> None:
        self._thread_lock.acquire()
        try:
            fcntl.flock(self._file(), fcntl.LOCK_EX)
        except BaseException:
            self._thread_lock.release()
            raise

    def __exit__(self, *exc: object) -> None:
        try:
            fcntl.flock(self._file(), fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()


class DatabaseUnreachable(ConfigError):
    """The first connection failed (server down, wrong host or credentials, no such file)."""

    def __init__(self, url: str, error: OperationalError) -> None:
        # The driver's first line says why ("Connection refused", "unable to open database
        # file"); the rest is SQLAlchemy's background link.
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        shown = make_url(url).render_as_string(hide_password=True)
        super().__init__(
            f"cannot connect to the database {shown}: {reason}; start it or pass another "
            "--database-url (or GATEWAY_DATABASE_URL)"
        )


class DatabaseUnreadable(ConfigError):
    """The database answered but what it holds is not a database the simulator can read (a
    damaged or foreign SQLite file: "file is not a database")."""

    def __init__(self, url: str, error: DatabaseError) -> None:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        shown = make_url(url).render_as_string(hide_password=True)
        super().__init__(
            f"cannot read the database {shown}: {reason}; move the file away (or pass another "
            "--data-dir or --database-url) and start again"
        )


class SchemaOutdated(ConfigError):
    """The database was made by an earlier version whose tables lack columns this one reads.

    There are no migrations: ``create_all`` adds missing tables and indexes, never columns, so
    such a database would fail on its first query (a 500 on every request). Refusing to start,
    with what is missing, is the honest answer; a sandbox's data is re-made by a new data dir
    (or an export from the older version, imported into the new one).
    """

    def __init__(self, url: str, missing: dict[str, list[str]]) -> None:
        shown = make_url(url).render_as_string(hide_password=True)
        listed = "; ".join(f"{table}: {', '.join(columns)}" for table, columns in missing.items())
        super().__init__(
            f"the database {shown} was made by an earlier version of the simulator and lacks "
            f"columns ({listed}); start with a new data dir (or --database-url), or export "
            "merchants with the earlier version and import them"
        )


class Database:
    """An engine plus read and write session factories."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        check_database_url(url)
        self.url = url
        self._write_lock: _WriteLock | None = None
        if _is_sqlite(url):
            # Pooled connections: opening one per request (pragmas, schema parse, no statement
            # cache) cost more than most requests. Pragmas are set once per connection. Last in,
            # first out: the connection used last has the warmest page and statement caches, and
            # the others are left idle instead of each holding a cache of its own.
            self.engine = create_engine(
                url,
                echo=echo,
                poolclass=QueuePool,
                pool_size=16,
                max_overflow=16,
                pool_timeout=60,
                pool_use_lifo=True,
            )
            _configure_sqlite(self.engine)
            write_engine: Engine = self.engine.execution_options(sqlite_begin="IMMEDIATE")
            database = _database_file(self.engine)
            if database is not None:
                self._write_lock = _WriteLock(database.with_name(database.name + ".write-lock"))
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
        try:
            was_empty = not inspect(self.engine).has_table("merchants")
        except OperationalError as exc:
            raise DatabaseUnreachable(self.url, exc) from None
        except DatabaseError as exc:  # after OperationalError, its subclass
            raise DatabaseUnreadable(self.url, exc) from None
        if not was_empty:
            self._check_columns()
        Base.metadata.create_all(self.engine)
        if not was_empty:
            # A database made by an earlier version has its tables but not the indexes added
            # since (create_all makes a missing table's indexes only): add those.
            for table in Base.metadata.sorted_tables:
                for index in table.indexes:
                    index.create(self.engine, checkfirst=True)
        return was_empty

    def _check_columns(self) -> None:
        """Raise :class:`SchemaOutdated` if an existing table lacks a column of the model."""
        inspector = inspect(self.engine)
        existing = set(inspector.get_table_names())
        missing: dict[str, list[str]] = {}
        for table in Base.metadata.sorted_tables:
            if table.name not in existing:
                continue  # a new table: create_all makes it whole
            present = {column["name"] for column in inspector.get_columns(table.name)}
            lacking = [column.name for column in table.columns if column.name not in present]
            if lacking:
                missing[table.name] = lacking
        if missing:
            raise SchemaOutdated(self.url, missing)

    def drop_all(self) -> None:
        Base.metadata.drop_all(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any exception."""
        factory = self._write if write else self._read
        if write and self._write_lock is not None:
            with self._write_lock, factory() as session, session.begin():
                yield session
            return
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
                if attempt == MAX_ATTEMPTS or not _lost_to_another_writer(exc):
                    raise
                log.debug("database locked, or a deadlock was broken; retrying")
            time.sleep(0.001 * attempt)
        raise AssertionError("unreachable")


#: PostgreSQL's SQLSTATEs for a transaction it rolled back because of another one: a deadlock it
#: broke (two transactions locking rows in opposite orders, e.g. the scheduler settling an
#: authorization while a request captures it) and a serialization failure.
_RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def _lost_to_another_writer(exc: OperationalError) -> bool:
    """SQLite's write lock held too long, or a PostgreSQL deadlock or serialization failure."""
    if getattr(exc.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES:
        return True
    return "locked" in str(exc).lower()
