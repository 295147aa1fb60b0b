"""Prepared SQLite databases for the benchmarks: a merchant, then rows bulk-loaded with executemany.

The schema is the gateway's own (``Runtime.initialize`` creates it); rows are inserted with
plain ``sqlite3`` for speed, foreign keys on, so every row satisfies the model's constraints:
each refund belongs to a Completed capture of a closed authorization of a Closed order reference,
at most 10 refunds per capture and within the refund cap, each with its ``reference_ids`` row
(what idempotency looks up) and, once settled, its delivered ``notifications`` row.

Datetimes are written the way SQLAlchemy's SQLite dialect stores them (naive UTC text).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from gateway.config import Settings
from gateway.domain.merchants import create_merchant
from gateway.runtime import Runtime

#: Captures whose order references start at this number are never made by the server's random ids
#: in practice (7 random digits), and keep the bench's rows recognisable.
FRESH_BASE = 9_000_000
STORED_BASE = 1_000_000
CAPTURE_AMOUNT_MINOR = 10_000  # 100.00 USD
REFUNDS_PER_CAPTURE = 10
REFUND_AMOUNT_MINOR = 100  # 1.00 USD, ten of them stay well within the cap


@dataclass(frozen=True)
class Merchant:
    id: int
    seller_id: str
    access_key: str
    secret_key: str


def sqlite_time(moment: datetime) -> str:
    """SQLAlchemy's SQLite storage format for a UTC instant."""
    return moment.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def oro_id(n: int) -> str:
    return f"S01-{n // 10_000_000:07d}-{n % 10_000_000:07d}"


def capture_id(n: int) -> str:
    return f"{oro_id(n)}-C{n % 1_000_000:06d}"


def refund_id(n: int, k: int) -> str:
    return f"{oro_id(n)}-R{k:06d}"


def create_database(
    data_dir: Path, *, settle_delay_seconds: int = 5, ipn_url: str | None = None
) -> Merchant:
    """A new gateway database (schema, no seed data) with one merchant."""
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=data_dir, seed_dir="")
    runtime = Runtime.from_settings(settings)
    runtime.initialize()

    def work(session: Any) -> Merchant:
        m = create_merchant(
            session,
            runtime.ids,
            runtime.clock.now(),
            store_name="bench",
            settle_delay_seconds=settle_delay_seconds,
            ipn_url=ipn_url,
        )
        return Merchant(m.id, m.seller_id, m.access_key, m.secret_key)

    merchant = runtime.db.run(work)
    runtime.db.dispose()
    return merchant


def database_path(data_dir: Path) -> Path:
    return data_dir.resolve() / "gateway.sqlite3"


def _insert(
    conn: sqlite3.Connection, table: str, columns: str, rows: Iterable[tuple[Any, ...]]
) -> None:
    names = [c.strip() for c in columns.split(",")]
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    conn.executemany(sql, rows)


def _chunks(start: int, stop: int, size: int) -> Iterator[range]:
    for low in range(start, stop, size):
        yield range(low, min(low + size, stop))


def load(
    data_dir: Path,
    merchant: Merchant,
    *,
    fresh_captures: int = 0,
    stored_refunds: int = 0,
    due_refunds: int = 0,
    due_notifications: int = 0,
    chunk: int = 50_000,
) -> None:
    """Bulk-load rows for ``merchant``.

    - ``fresh_captures``: Completed captures with no refund yet (numbers from FRESH_BASE), one per
      signed Refund request of the benchmark.
    - ``stored_refunds``: settled (Completed) refunds, ten per capture, each with its reference id
      and delivered notification (numbers from STORED_BASE).
    - ``due_refunds``: Pending refunds already due (planned Completed), ten per capture, counted
      against their captures' reserved amount as the Refund operation does.
    - ``due_notifications``: pending PaymentRefund notifications (for IPN delivery), next attempt
      due now.
    """
    now = datetime.now(UTC)
    t_old = sqlite_time(now - timedelta(days=1))
    t_expires = sqlite_time(now + timedelta(days=29))
    t_due = sqlite_time(now - timedelta(seconds=1))
    conn = sqlite3.connect(database_path(data_dir), isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-400000")
        conn.execute("BEGIN")
        mid = merchant.id

        def captures(numbers: range, refunds_each: int, pending: bool) -> None:
            _insert(
                conn,
                "order_references",
                "id, amazon_id, merchant_id, state, reason_code, last_update, created_at, "
                "expires_at, currency, amount_minor, buyer, simulated_constraints, version",
                (
                    (
                        n,
                        oro_id(n),
                        mid,
                        "Closed",
                        "MaxAmountCharged",
                        t_old,
                        t_old,
                        t_expires,
                        "USD",
                        CAPTURE_AMOUNT_MINOR,
                        "{}",
                        "[]",
                        4,
                    )
                    for n in numbers
                ),
            )
            _insert(
                conn,
                "authorizations",
                "id, amazon_id, merchant_id, order_reference_id, reference_id, currency, "
                "amount_minor, captured_minor, soft_descriptor, capture_now, transaction_timeout, "
                "state, reason_code, last_update, created_at, expires_at, plan, version",
                (
                    (
                        n,
                        f"{oro_id(n)}-A{n % 1_000_000:06d}",
                        mid,
                        n,
                        f"a{n}",
                        "USD",
                        CAPTURE_AMOUNT_MINOR,
                        CAPTURE_AMOUNT_MINOR,
                        "AMZ*bench",
                        0,
                        0,
                        "Closed",
                        "MaxCapturesProcessed",
                        t_old,
                        t_old,
                        t_expires,
                        "{}",
                        2,
                    )
                    for n in numbers
                ),
            )
            reserved = REFUND_AMOUNT_MINOR * refunds_each
            refunded = 0 if pending else reserved
            _insert(
                conn,
                "captures",
                "id, amazon_id, merchant_id, authorization_id, order_reference_id, reference_id, "
                "currency, amount_minor, refunded_minor, refund_reserved_minor, refund_count, "
                "soft_descriptor, state, last_update, created_at, version",
                (
                    (
                        n,
                        capture_id(n),
                        mid,
                        n,
                        n,
                        f"c{n}",
                        "USD",
                        CAPTURE_AMOUNT_MINOR,
                        refunded,
                        reserved,
                        refunds_each,
                        "AMZ*bench",
                        "Completed",
                        t_old,
                        t_old,
                        1 + (0 if pending else refunds_each),
                    )
                    for n in numbers
                ),
            )
            _insert(
                conn,
                "reference_ids",
                "merchant_id, reference_id, operation, fingerprint, object_id, created_at",
                (
                    row
                    for n in numbers
                    for row in (
                        (
                            mid,
                            f"a{n}",
                            "Authorize",
                            "0" * 64,
                            f"{oro_id(n)}-A{n % 1_000_000:06d}",
                            t_old,
                        ),
                        (mid, f"c{n}", "Capture", "0" * 64, capture_id(n), t_old),
                    )
                ),
            )
            if not refunds_each:
                return
            state = "Pending" if pending else "Completed"
            _insert(
                conn,
                "refunds",
                "amazon_id, merchant_id, capture_id, order_reference_id, reference_id, "
                "refund_type, currency, amount_minor, fee_refunded_minor, soft_descriptor, state, "
                "last_update, created_at, due_at, planned_state, version",
                (
                    (
                        refund_id(n, k),
                        mid,
                        n,
                        n,
                        f"r{n}-{k}",
                        "SellerInitiated",
                        "USD",
                        REFUND_AMOUNT_MINOR,
                        0,
                        "AMZ*bench",
                        state,
                        t_old,
                        t_old,
                        t_due if pending else None,
                        "Completed" if pending else None,
                        1 if pending else 2,
                    )
                    for n in numbers
                    for k in range(refunds_each)
                ),
            )
            _insert(
                conn,
                "reference_ids",
                "merchant_id, reference_id, operation, fingerprint, object_id, created_at",
                (
                    (mid, f"r{n}-{k}", "Refund", "0" * 64, refund_id(n, k), t_old)
                    for n in numbers
                    for k in range(refunds_each)
                ),
            )
            if not pending:
                _insert(
                    conn,
                    "notifications",
                    "merchant_id, notification_type, object_kind, object_id, state, changed_at, "
                    "created_at, delivery_state, next_attempt_at, attempt_count, acknowledged_at, "
                    "extra",
                    (
                        (
                            mid,
                            "PaymentRefund",
                            "Refund",
                            refund_id(n, k),
                            "Completed",
                            t_old,
                            t_old,
                            "delivered",
                            None,
                            1,
                            t_old,
                            "{}",
                        )
                        for n in numbers
                        for k in range(refunds_each)
                    ),
                )

        for numbers in _chunks(FRESH_BASE, FRESH_BASE + fresh_captures, chunk):
            captures(numbers, 0, pending=False)
        stored_captures = -(-stored_refunds // REFUNDS_PER_CAPTURE)
        for numbers in _chunks(STORED_BASE, STORED_BASE + stored_captures, chunk // 10):
            captures(numbers, REFUNDS_PER_CAPTURE, pending=False)
        due_captures = -(-due_refunds // REFUNDS_PER_CAPTURE)
        due_base = STORED_BASE + stored_captures
        for numbers in _chunks(due_base, due_base + due_captures, chunk // 10):
            captures(numbers, REFUNDS_PER_CAPTURE, pending=True)
        if due_notifications:
            _insert(
                conn,
                "notifications",
                "merchant_id, notification_type, object_kind, object_id, state, changed_at, "
                "created_at, delivery_state, next_attempt_at, attempt_count, extra",
                (
                    (
                        mid,
                        "PaymentRefund",
                        "Refund",
                        refund_id(STORED_BASE + i // 10, i % 10),
                        "Completed",
                        t_due,
                        t_due,
                        "pending",
                        t_due,
                        0,
                        "{}",
                    )
                    for i in range(due_notifications)
                ),
            )
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def fresh_capture_ids(count: int, start: int = 0) -> list[str]:
    return [capture_id(FRESH_BASE + start + i) for i in range(count)]


def stored_refund_ids(stored_refunds: int) -> Iterator[str]:
    for i in range(stored_refunds):
        yield refund_id(STORED_BASE + i // REFUNDS_PER_CAPTURE, i % REFUNDS_PER_CAPTURE)


# --- API v2 --------------------------------------------------------------------------------------

V2_BASE = 8_000_000


def v2_charge_id(n: int) -> str:
    """The one charge of charge permission ``oro_id(n)`` (v2 ids share v1's ``S01-…`` shape)."""
    return f"{oro_id(n)}-C{n % 1_000_000:06d}"


def create_v2_key(data_dir: Path, merchant: Merchant) -> tuple[str, str]:
    """A new API v2 key pair of ``merchant`` (as the control API makes one): its public key id
    and private key PEM."""
    from gateway.v2.keys import create_key

    runtime = Runtime.from_settings(Settings(data_dir=data_dir, seed_dir=""))

    def work(session: Any) -> tuple[str, str]:
        row, pem = create_key(session, runtime.ids, merchant.id, runtime.clock.now())
        return row.public_key_id, pem

    found = runtime.db.run(work)
    runtime.db.dispose()
    return found


def load_v2(data_dir: Path, merchant: Merchant, *, captured_charges: int) -> None:
    """Bulk-load ``captured_charges`` Captured v2 charges of 100.00 USD with no refund yet, each
    on a charge permission of its own (numbers from V2_BASE): one per signed Create Refund."""
    now = datetime.now(UTC)
    t_old = sqlite_time(now - timedelta(days=1))
    t_expires = sqlite_time(now + timedelta(days=29))
    conn = sqlite3.connect(database_path(data_dir), isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN")
        numbers = range(V2_BASE, V2_BASE + captured_charges)
        _insert(
            conn,
            "v2_charge_permissions",
            "id, amazon_id, merchant_id, charge_permission_type, currency, amount_limit_minor, "
            "charged_minor, captured_minor, merchant_metadata, expires_at, state, last_update, "
            "created_at, live, version",
            (
                (
                    n, oro_id(n), merchant.id, "OneTime", "USD", CAPTURE_AMOUNT_MINOR,
                    CAPTURE_AMOUNT_MINOR, CAPTURE_AMOUNT_MINOR, "{}", t_expires, "Chargeable",
                    t_old, t_old, 0, 2,
                )
                for n in numbers
            ),
        )  # fmt: skip
        _insert(
            conn,
            "v2_charges",
            "id, amazon_id, merchant_id, charge_permission_id, currency, amount_minor, "
            "captured_minor, refunded_minor, refund_reserved_minor, refund_count, capture_now, "
            "can_handle_pending, merchant_metadata, provider_metadata, expires_at, state, "
            "last_update, created_at, live, version",
            (
                (
                    n, v2_charge_id(n), merchant.id, n, "USD", CAPTURE_AMOUNT_MINOR,
                    CAPTURE_AMOUNT_MINOR, 0, 0, 0, 1, 0, "{}", "{}", t_expires, "Captured",
                    t_old, t_old, 0, 2,
                )
                for n in numbers
            ),
        )  # fmt: skip
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def v2_charge_ids(count: int, start: int = 0) -> list[str]:
    return [v2_charge_id(V2_BASE + start + i) for i in range(count)]
