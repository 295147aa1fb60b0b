"""The ceiling: the least a signed, stateful form API must do, served exactly like the gateway.

A bare Flask app that parses a form body like the gateway's, checks its HMAC-SHA256 Signature
Version 2 signature (the same canonicalisation), does one SQLite insert and one select in a
transaction (WAL, ``BEGIN IMMEDIATE``, as the gateway's write path), and answers a small XML
document. For API v2 (``V2_PATH``) the same with a JSON body whose ``AMZN-PAY-RSASSA-PSS-V2``
signature (RSA-2048, its ``x-amz-pay-date`` within 15 minutes) is checked as the gateway checks
it (``clients.amazon_pay_v2.signing``), answering a small JSON document. It runs under the gateway's own gunicorn configuration (``GatewayServer``: gthread,
same workers, threads and keep-alive), so a ratio to it factors out the machine and the server.

Run: ``python -m bench.ceiling --data-dir D --port P [--workers N --threads N]``.
"""

from __future__ import annotations

import argparse
import hmac
import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, request

from clients import sigv2
from clients.amazon_pay_v2 import signing
from gateway.config import Settings
from gateway.server import GatewayServer, listen

PATH = "/ceiling"
ACCESS_KEY = "AKIACEILINGACCESSKEY"
SECRET_KEY = "ceiling-secret-key-0123456789abcdefghijkl"
V2_PATH = "/ceiling/v2/refunds"
V2_KEY_ID = "SANDBOX-ACEILINGV2PUBLICKEYID00"
V2_KEY_FILE = "v2-private-key.pem"
V2_DATE_WINDOW_SECONDS = 15 * 60


def v2_private_key(data_dir: Path) -> str:
    """The ceiling's API v2 private key PEM (made on first use): the bench signs with it."""
    path = data_dir / V2_KEY_FILE
    if not path.exists():
        from gateway.v2.keys import new_private_key_pem

        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(new_private_key_pem())
    return path.read_text()


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
    v2_key = signing.load_public_key(signing.public_key_pem(v2_private_key(db_path.parent)))

    def insert_select(reference: str, amount: str, created: str) -> tuple[Any, ...]:
        conn = connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            cursor = conn.execute(
                "INSERT INTO items (reference_id, amount, created_at) VALUES (?, ?, ?)",
                (reference, amount, created),
            )
            row: tuple[Any, ...] = conn.execute(
                "SELECT id, reference_id, amount FROM items WHERE id = ?", (cursor.lastrowid,)
            ).fetchone()
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return row

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
        row = insert_select(
            params.get("RefundReferenceId", ""),
            params.get("RefundAmount.Amount", ""),
            params.get("Timestamp", ""),
        )
        body = (
            f"<CeilingResponse><Id>{row[0]}</Id><ReferenceId>{row[1]}</ReferenceId>"
            f"<Amount>{row[2]}</Amount></CeilingResponse>"
        )
        return Response(body, content_type="text/xml; charset=utf-8")

    @app.post(V2_PATH)
    def endpoint_v2() -> Response:
        def refused(code: str, status: int) -> Response:
            answer = json.dumps({"reasonCode": code, "message": code})
            return Response(answer, status=status, content_type="application/json")

        headers = {k.lower(): v for k, v in request.headers.items()}
        body = request.get_data()
        try:
            expected = signing.expected_signature(
                request.method, request.path, request.query_string.decode(), headers, body
            )
            if expected.authorization.public_key_id != V2_KEY_ID:
                return refused("InvalidParameterValue", 400)
            signing.verify_expected(v2_key, expected)
            sent = signing.parse_pay_date(headers.get("x-amz-pay-date", ""))
        except (signing.SignatureError, ValueError):
            return refused("InvalidRequestSignature", 401)
        if abs((datetime.now(UTC) - sent).total_seconds()) > V2_DATE_WINDOW_SECONDS:
            return refused("InvalidRequestSignature", 401)
        payload = json.loads(body)
        row = insert_select(
            headers.get("x-amz-pay-idempotency-key", ""),
            payload["refundAmount"]["amount"],
            headers["x-amz-pay-date"],
        )
        answer = json.dumps({"refundId": str(row[0]), "chargeId": row[1], "amount": row[2]})
        return Response(answer, status=201, content_type="application/json")

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
