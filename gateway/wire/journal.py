"""The request journal: each signed request of an emulated API, kept per merchant in a ring of
the last ``Settings.journal_size`` (0: no journal). No Flask here.

What is kept: the Action, the parameters with ``Signature`` and anything named like a secret or
password redacted (``AWSAccessKeyId`` is kept: it says who signed), the HTTP status, the error
code and message, the latency, the request id and, when a signature did not match, the string
to sign the server computed. A request is the merchant's whose access key it names, whether or
not its signature holds; one whose access key belongs to no merchant (or that names none) goes
to a ring of its own, shown to the admin (``merchant_id`` None), so a client signing with a
wrong key still finds its requests.

Cost on the hot path: an answered request writes its entry in its own transaction (a read-only
operation then runs in a write transaction); a failed one in a small transaction of its own,
after its own rolled back. Trimming the ring is amortized: each process trims a merchant's ring
on its first entry and then every ``TRIM_EVERY`` entries, so a ring holds at most
``journal_size`` plus ``TRIM_EVERY`` per process entries, and lists show the newest
``journal_size``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from gateway.store import journal, merchants

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


@dataclass
class Journal:
    """The journal of one process: its ring size and, per merchant, entries since its last trim."""

    size: int
    _since_trim: dict[int | None, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def enabled(self) -> bool:
        return self.size > 0

    def record(
        self,
        session: Session,
        merchant_id: int | None,
        *,
        received_at: datetime,
        service: str,
        params: Mapping[str, str],
        status: int,
        latency_ms: float,
        request_id: str,
        error_code: str | None = None,
        error_message: str | None = None,
        string_to_sign: str | None = None,
    ) -> None:
        """Write one entry in ``session``'s transaction (and trim the ring when it is time)."""
        journal.insert(
            session,
            {
                "merchant_id": merchant_id,
                "received_at": received_at,
                "service": service,
                "action": _storable(params.get("Action", ""))[:64],
                "parameters": redact(params),
                "status": status,
                "error_code": error_code,
                "error_message": None if error_message is None else _storable(error_message),
                "latency_ms": round(latency_ms, 3),
                "request_id": request_id,
                "string_to_sign": string_to_sign,
            },
        )
        with self._lock:
            since = self._since_trim.get(merchant_id)
            due = since is None or since + 1 >= TRIM_EVERY
            self._since_trim[merchant_id] = 0 if due else (since or 0) + 1
        if due:
            journal.trim(session, merchant_id, self.size)

    def owner(self, session: Session, params: Mapping[str, str]) -> int | None:
        """The merchant a request belongs to: the one its access key names, if any."""
        key = params.get("AWSAccessKeyId")
        found = merchants.by_access_key(session, key) if key else None
        return None if found is None else found.id
