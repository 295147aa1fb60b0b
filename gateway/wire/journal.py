"""The request journal: each signed request of an emulated API, kept per merchant in a ring of
the last ``Settings.journal_size`` (0: no journal). No Flask here.

What is kept: the Action, the parameters with ``Signature`` and anything named like a secret or
password redacted (``AWSAccessKeyId`` is kept: it says who signed), the HTTP status, the error
code and message, the latency, the request id and, when a signature did not match, the string
to sign the server computed. A request is the merchant's whose access key it names, whether or
not its signature holds; one whose access key belongs to no merchant (or that names none) goes
to a ring of its own, shown to the admin (``merchant_id`` None), so a client signing with a
wrong key still finds its requests.

Where and when: each request's entry is written once it is answered, in a small transaction of
its own, so the request's own transaction stays as it was (a read stays a read transaction). On
SQLite the journal is a database file of its own beside the main one: its writes neither wait
for the main database's write lock nor empty the other processes' page caches of it, which
writing it in the main file did (read requests then cost about half as much again). On
PostgreSQL it is a table of the same database. Trimming is amortized: each process trims a
merchant's ring on its first entry and then every ``TRIM_EVERY`` entries, so a ring holds at
most ``journal_size`` plus ``TRIM_EVERY`` per process entries; lists show the newest
``journal_size``.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.orm import Session

from gateway.store import journal
from gateway.store.db import Database
from gateway.store.journal import JOURNAL_TABLE

log = logging.getLogger(__name__)

REDACTED = "[redacted]"
#: Parameter names whose values never go into the journal.
_SECRET = re.compile(r"^Signature$|secret|password", re.IGNORECASE)
#: A ring is trimmed every this many entries of one merchant in one process.
TRIM_EVERY = 50


def _storable(text: str) -> str:
    """``text`` without NUL, which PostgreSQL's text cannot hold (a refused request may carry
    one: the journal still keeps it)."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def redact(params: Mapping[str, str]) -> dict[str, str]:
    return {
        _storable(name): REDACTED if _SECRET.search(name) else _storable(value)
        for name, value in params.items()
    }


def journal_url(database_url: str) -> str:
    """Where the journal of a database lives: a file beside a SQLite file, else the same URL."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return database_url
    main = Path(url.database)
    return url.set(database=str(main.with_name(main.stem + "-journal.sqlite3"))).render_as_string(
        hide_password=False
    )


@dataclass(frozen=True)
class Entry:
    """What one request leaves in the journal."""

    merchant_id: int | None
    received_at: datetime
    service: str
    params: Mapping[str, str]
    status: int
    latency_ms: float
    request_id: str
    error_code: str | None = None
    error_message: str | None = None
    string_to_sign: str | None = None

    def values(self) -> dict[str, object]:
        return {
            "merchant_id": self.merchant_id,
            "received_at": self.received_at,
            "service": self.service,
            "action": _storable(self.params.get("Action", ""))[:64],
            "parameters": redact(self.params),
            "status": self.status,
            "error_code": self.error_code,
            "error_message": None if self.error_message is None else _storable(self.error_message),
            "latency_ms": round(self.latency_ms, 3),
            "request_id": self.request_id,
            "string_to_sign": self.string_to_sign,
        }


@dataclass
class Journal:
    """The journal of one process: its ring size, its database (made on first use, beside
    ``main``), and per merchant the entries since its last trim."""

    size: int
    main: Database
    _db: Database | None = field(default=None, init=False, repr=False)
    _since_trim: dict[int | None, int] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def enabled(self) -> bool:
        return self.size > 0

    @property
    def db(self) -> Database:
        """The journal's database: the main one unless that is a SQLite file."""
        with self._lock:
            if self._db is None:
                url = journal_url(self.main.url)
                if url == self.main.url:
                    self._db = self.main
                else:
                    self._db = Database(url)
                    JOURNAL_TABLE.create(self._db.engine, checkfirst=True)
            return self._db

    def record(self, entry: Entry) -> None:
        """Write ``entry`` in a transaction of its own (and trim its ring when it is time). A
        failure is logged: the request's answer goes out whatever becomes of its entry."""
        with self._lock:
            since = self._since_trim.get(entry.merchant_id)
            trim = since is None or since + 1 >= TRIM_EVERY
            self._since_trim[entry.merchant_id] = 0 if trim else (since or 0) + 1

        def work(session: Session) -> None:
            journal.insert(session, entry.values())
            if trim:
                journal.trim(session, entry.merchant_id, self.size)

        try:
            self.db.run(work)
        except Exception:
            log.exception("could not journal request %s", entry.request_id)

    def clear(self, merchant_id: int | None) -> None:
        """Forget the merchant's entries (None: those of no merchant)."""
        self.db.run(lambda session: journal.clear(session, merchant_id))

    def clear_all(self) -> None:
        self.db.run(journal.clear_all)

    def dispose(self) -> None:
        if self._db is not None and self._db is not self.main:
            self._db.dispose()
