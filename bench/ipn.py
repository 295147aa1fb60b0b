"""IPN delivery: a loopback receiver that answers 200, and the two measurements that use it.

- Throughput: a prepared database holds N due PaymentRefund notifications for a merchant whose
  IPN URL is the receiver; ``gateway worker`` delivers them; signed IPNs per second is N over the
  time from the first to the N-th arrival.
- Delay: ``gateway serve`` with its scheduler in real time; refunds are created through the
  signed API on a merchant whose refunds settle 1 s later; for each refund, the delay from its
  ``due_at`` to the moment the receiver acknowledged its Completed IPN (p50, p99).

Both need ``gateway.ipn.outbox``; a checkout without it reports "not measured".
"""

from __future__ import annotations

import importlib.util
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from tests.support.sink import Sink

REFUND_ID = re.compile(rb"S01-\d{7}-\d{7}-R\d{6}")


def delivery_available() -> bool:
    try:
        return importlib.util.find_spec("gateway.ipn.outbox") is not None
    except ModuleNotFoundError:
        return False


def receiver() -> Sink:
    """The loopback receiver: answers every post 200 with an empty body, on kept-alive
    connections (as a production webhook behind a keep-alive server would)."""
    return Sink(keep_alive=True, answer=b"")


def completed_acks(sink: Sink) -> dict[str, float]:
    """First acknowledgement time of each refund's Completed IPN, by refund id."""
    found: dict[str, float] = {}
    for item in list(sink.received):
        text = item.body.replace(b"\\", b"")
        match = REFUND_ID.search(text)
        if match and b"Completed" in text:
            found.setdefault(match.group().decode(), item.at)
    return found


def due_times(db_path: Path, refund_ids: list[str]) -> dict[str, float]:
    """Each refund's due_at (from when it was Pending) as a UNIX time, read from the database."""
    conn = sqlite3.connect(db_path)
    try:
        out: dict[str, float] = {}
        for rid in refund_ids:
            row = conn.execute(
                "SELECT created_at, last_update, state FROM refunds WHERE amazon_id = ?", (rid,)
            ).fetchone()
            if row is None:
                continue
            created = datetime.fromisoformat(row[0]).replace(tzinfo=UTC)
            out[rid] = created.timestamp()
        return out
    finally:
        conn.close()
