"""Listing a merchant's orders through the sandbox control API, on SQLite, with 100,000 orders.

The target (issue 12): a page of 50 orders of a merchant holding 100,000 answers in under 50 ms.
A database is bulk-loaded (``fixtures``: order references with their authorization and
Completed capture, made over the last ~70 days, one in ten still Open), a ``gateway serve`` is
started on it, and each request below is timed from a keep-alive client, one at a time:

- ``health``: ``GET /sandbox/api/v1/health``, the baseline measured in the same round (one
  trivial read transaction through the same server);
- ``orders``: the first page of 50; ``orders_deep``: the page after the 50,000th order (a
  cursor), which keyset paging makes as cheap as the first; ``orders_open``: in one state;
  ``orders_day``: created within one day; ``orders_search``: by a capture id;
  ``captures``: the first page of captures.

Each figure is the median over the requests of a round, then the median (min–max) over rounds;
ratios are to the same round's ``health``.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from bench import fixtures
from gateway.store.models import OrderReference
from gateway.store.paging import Key
from tests.support.servers import GatewayServer

PAGE = 50
CASES = (
    "health",
    "orders",
    "orders_deep",
    "orders_open",
    "orders_day",
    "orders_search",
    "captures",
)


def prepare(data_dir: Path, orders: int) -> tuple[fixtures.Merchant, dict[str, str]]:
    """A database with ``orders`` orders of one merchant; the query of each case."""
    merchant = fixtures.create_database(data_dir)
    fixtures.load(data_dir, merchant, fresh_captures=orders)
    now = datetime.now(UTC)
    first = fixtures.FRESH_BASE
    conn = sqlite3.connect(fixtures.database_path(data_dir), isolation_level=None)
    try:
        conn.execute("BEGIN")
        # One order a minute, the newest now; one in ten still Open (the others Closed).
        conn.executemany(
            "UPDATE order_references SET created_at = ?, state = ? WHERE id = ?",
            (
                (
                    fixtures.sqlite_time(now - timedelta(minutes=orders - i)),
                    "Open" if i % 10 == 0 else "Closed",
                    first + i,
                )
                for i in range(orders)
            ),
        )
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
    finally:
        conn.close()
    middle = now - timedelta(minutes=orders // 2)
    deep = orders // 2
    cursor = Key((OrderReference.created_at, OrderReference.id), (datetime, int)).encode(
        (now - timedelta(minutes=orders - deep), first + deep)
    )
    base = f"/sandbox/api/v1/merchants/{merchant.seller_id}"
    day_from = (middle - timedelta(days=1)).isoformat()
    queries = {
        "health": "/sandbox/api/v1/health",
        "orders": f"{base}/orders?limit={PAGE}",
        "orders_deep": f"{base}/orders?limit={PAGE}&cursor={cursor}",
        "orders_open": f"{base}/orders?limit={PAGE}&state=Open",
        "orders_day": f"{base}/orders?limit={PAGE}&created_from={quote(day_from)}"
        f"&created_to={quote(middle.isoformat())}",
        "orders_search": f"{base}/orders?q={fixtures.capture_id(first + deep)}",
        "captures": f"{base}/captures?limit={PAGE}",
    }
    return merchant, queries


def _time(http: requests.Session, url: str, count: int, expect_items: bool) -> float:
    """Median milliseconds of ``count`` sequential GETs (each checked)."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        answer = http.get(url, timeout=30)
        times.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            raise RuntimeError(f"{url}: {answer.status_code} {answer.text[:200]}")
        if expect_items and not answer.json()["items"]:
            raise RuntimeError(f"{url}: no items")
    return statistics.median(times)


def run(rounds: int, orders: int, requests_per_case: int, work: Path, log: Any) -> dict[str, Any]:
    data = work / "listing"
    started = time.monotonic()
    _, queries = prepare(data, orders)
    log(f"listing: {orders:,} orders loaded in {time.monotonic() - started:.1f}s")
    server = GatewayServer(
        data, log_path=work / "listing.log", access_log=False, workers=None
    ).start()
    figures: list[dict[str, float]] = []
    try:
        with requests.Session() as http:
            for url in queries.values():  # warm up: imports, the document, first connections
                _time(http, server.url + url, 5, False)
            for r in range(rounds):
                entry = {
                    case: _time(
                        http, server.url + queries[case], requests_per_case, case != "health"
                    )
                    for case in CASES
                }
                figures.append(entry)
                log(
                    f"listing round {r + 1}: "
                    + ", ".join(f"{k} {v:.1f} ms" for k, v in entry.items())
                )
    finally:
        server.stop()
    return {
        "orders": orders,
        "page": PAGE,
        "requests_per_case": requests_per_case,
        "ms": {case: _summary([f[case] for f in figures]) for case in CASES},
        "ratio_to_health": {
            case: _summary([f[case] / f["health"] for f in figures]) for case in CASES
        },
        "rounds": figures,
    }


def _summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}
