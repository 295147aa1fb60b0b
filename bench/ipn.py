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
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REFUND_ID = re.compile(rb"S01-\d{7}-\d{7}-R\d{6}")


def delivery_available() -> bool:
    try:
        return importlib.util.find_spec("gateway.ipn.outbox") is not None
    except ModuleNotFoundError:
        return False


class Receiver:
    """A threaded HTTP/1.1 server on 127.0.0.1 that answers every POST 200 and records it."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, bytes]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with receiver.lock:
                    receiver.arrivals.append((time.time(), body))

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ipn"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def count(self) -> int:
        with self.lock:
            return len(self.arrivals)

    def wait_for(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count() >= count:
                return True
            time.sleep(0.05)
        return False

    def completed_acks(self) -> dict[str, float]:
        """First acknowledgement time of each refund's Completed IPN, by refund id."""
        found: dict[str, float] = {}
        with self.lock:
            arrivals = list(self.arrivals)
        for moment, body in arrivals:
            text = body.replace(b"\\", b"")
            match = REFUND_ID.search(text)
            if match and b"Completed" in text:
                found.setdefault(match.group().decode(), moment)
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
