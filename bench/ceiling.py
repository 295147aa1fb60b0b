"""The ceiling: the least a signed, stateful form API must do, served exactly like the gateway.

A bare Flask app that parses a form body like the gateway's, checks its HMAC-SHA256 Signature
Version 2 signature (the same canonicalisation), does one SQLite insert and one select in a
transaction (WAL, ``BEGIN IMMEDIATE``, as the gateway's write path), and answers a small XML
document. It runs under the gateway's own gunicorn configuration (``GatewayServer``: gthread,
same workers, threads and keep-alive), so a ratio to it factors out the machine and the server.

Run: ``python -m bench.ceiling --data-dir D --port P [--workers N --threads N]``.
"""

from __future__ import annotations

import argparse
import hmac
import sqlite3
import threading
from pathlib import Path
from typing import Any

from flask import Flask, Response, request

from clients import sigv2
from gateway.config import Settings
from gateway.server import GatewayServer, listen

PATH = "/ceiling"
ACCESS_KEY = "AKIACEILINGACCESSKEY"
SECRET_KEY = "ceiling-secret-key-0123456789abcdefghijkl"

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY,
    reference_id VARCHAR(128) NOT NULL,
    amount VARCHAR(32) NOT NULL,
    created_at VARCHAR(32) NOT NULL
)
"""


def create_app(db_path: Path) -> Flask:
    app = Flask(__name__)
    local = threading.local()

    def connection() -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            local.conn = conn
        return conn

    @app.post(PATH)
    def endpoint() -> Response:
        params = request.form.to_dict()
        if params.get("AWSAccessKeyId") != ACCESS_KEY:
            return Response("<Error>InvalidAccessKeyId</Error>", status=403)
        expected = sigv2.sign_v2(SECRET_KEY, "POST", request.host, request.path, params)
        if not hmac.compare_digest(expected, params.get("Signature", "")):
            return Response("<Error>SignatureDoesNotMatch</Error>", status=403)
        conn = connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            cursor = conn.execute(
                "INSERT INTO items (reference_id, amount, created_at) VALUES (?, ?, ?)",
                (
                    params.get("RefundReferenceId", ""),
                    params.get("RefundAmount.Amount", ""),
                    params.get("Timestamp", ""),
                ),
            )
            row = conn.execute(
                "SELECT id, reference_id, amount FROM items WHERE id = ?", (cursor.lastrowid,)
            ).fetchone()
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        body = (
            f"<CeilingResponse><Id>{row[0]}</Id><ReferenceId>{row[1]}</ReferenceId>"
            f"<Amount>{row[2]}</Amount></CeilingResponse>"
        )
        return Response(body, content_type="text/xml; charset=utf-8")

    return app


class CeilingServer(GatewayServer):
    """The gateway's gunicorn configuration, serving the ceiling app instead."""

    def __init__(self, settings: Settings, db_path: Path) -> None:
        self.db_path = db_path
        super().__init__(settings, listen(settings))

    def load(self) -> Any:
        return create_app(self.db_path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ceiling")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=Settings.workers)
    parser.add_argument("--threads", type=int, default=Settings.threads)
    args = parser.parse_args(argv)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    db_path = args.data_dir / "ceiling.sqlite3"
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(SCHEMA)
    conn.close()
    settings = Settings(
        data_dir=args.data_dir,
        port=args.port,
        workers=args.workers,
        threads=args.threads,
        scheduler=False,
    )
    CeilingServer(settings, db_path).run()


if __name__ == "__main__":
    main()
