"""Refunds racing on one capture through several servers that share one database.

Each trial makes a Completed capture, then sends ``REFUNDS`` Refund requests of 1.00 on it at
the same moment (threads released by a barrier), spread over the servers, each through the
official ``amazon_pay`` SDK. The rules decide every answer; contention decides none: a capture
of 100.00 takes exactly ten (the count limit) and a capture of 5.00 exactly five (the amount
limit, 5.75), and every other request is refused with that limit's error. Any other answer, a
500 above all, is a request that lost a race and was failed for it.

Used by ``tests/core/test_race.py`` (a few trials per suite run) and ``bench/race.py`` (the
200-trial run).
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import func, select

from gateway.store.db import Database
from gateway.store.models import Capture, Refund
from tests.support.servers import GatewayServer

T = TypeVar("T")

#: Concurrent Refund requests per trial.
REFUNDS = 16
#: Each Refund asks for this much.
REFUND_AMOUNT = "1.00"


@dataclass(frozen=True)
class Limit:
    """A captured amount, and what ``REFUNDS`` refunds of 1.00 on it must get."""

    captured: str
    accepted: int
    refused_with: str


#: Trials alternate between the two limits of a capture [SRC: reference/amazon-wire.md §1.7]:
#: ten refunds at most, and the captured amount plus the lesser of 15 % or 75 in all.
LIMITS = (
    Limit("100.00", 10, "TransactionCountExceeded"),
    Limit("5.00", 5, "TransactionAmountExceeded"),
)


def race(n: int, work: Callable[[int], T]) -> list[T]:
    """Run ``work(i)`` for i in 0..n-1 in n threads, all released at the same moment."""
    barrier = threading.Barrier(n)

    def run(i: int) -> T:
        barrier.wait(timeout=30)
        return work(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def answer_code(response: Any) -> str:
    """``ok`` for a success, else the ErrorResponse's code (InternalServerError for a 500)."""
    if response.success:
        return "ok"
    try:
        return str(response.to_dict()["ErrorResponse"]["Error"]["Code"])
    except (KeyError, TypeError, ValueError):
        return f"unreadable answer: {response.to_xml()[:200]!r}"


@dataclass(frozen=True)
class Trial:
    capture_id: str
    limit: Limit
    answers: Counter[str]

    @property
    def expected(self) -> Counter[str]:
        refused = REFUNDS - self.limit.accepted
        return Counter({"ok": self.limit.accepted, self.limit.refused_with: refused})


class RefundRace:
    """One merchant on ``servers`` (which share a database), racing refunds on its captures."""

    def __init__(self, servers: Sequence[GatewayServer]) -> None:
        self.servers = list(servers)
        self.merchant = self.servers[0].new_merchant(store_name="race")
        # One SDK client per racing thread, each bound to one server, alternating.
        self.clients = [
            self.servers[i % len(self.servers)].sdk(self.merchant) for i in range(REFUNDS)
        ]

    def capture(self, limit: Limit, client_index: int = 0) -> str:
        """A new Completed capture of ``limit.captured`` (Authorize with CaptureNow)."""
        server = self.servers[client_index % len(self.servers)]
        client = self.clients[client_index]
        order_id = server.new_order(self.merchant["seller_id"])
        total = limit.captured
        set_details = client.set_order_reference_details(
            amazon_order_reference_id=order_id, order_total=total
        )
        assert set_details.success, set_details.to_xml()
        confirmed = client.confirm_order_reference(amazon_order_reference_id=order_id)
        assert confirmed.success, confirmed.to_xml()
        answer = client.authorize(
            amazon_order_reference_id=order_id,
            authorization_reference_id=uuid.uuid4().hex,
            authorization_amount=total,
            transaction_timeout=0,
            capture_now=True,
        )
        assert answer.success, answer.to_xml()
        details = answer.to_dict()["AuthorizeResponse"]["AuthorizeResult"]["AuthorizationDetails"]
        return str(details["IdList"]["member"])

    def captures(self, trials: int, threads: int = 4) -> list[tuple[str, Limit]]:
        """The captures of ``trials`` trials, made a few at a time (limits alternating)."""
        limits = [LIMITS[i % len(LIMITS)] for i in range(trials)]
        with ThreadPoolExecutor(max_workers=threads) as pool:
            ids = list(pool.map(lambda i: self.capture(limits[i], i % REFUNDS), range(trials)))
        return list(zip(ids, limits, strict=True))

    def trial(self, capture_id: str, limit: Limit) -> Trial:
        def refund(i: int) -> str:
            response = self.clients[i].refund(
                amazon_capture_id=capture_id,
                refund_reference_id=uuid.uuid4().hex,
                refund_amount=REFUND_AMOUNT,
            )
            return answer_code(response)

        return Trial(capture_id, limit, Counter(race(REFUNDS, refund)))


@dataclass(frozen=True)
class Stored:
    """What the database holds of one capture's refunds."""

    reserved_minor: int
    count: int
    rows: int
    rows_minor: int


def stored(database_url: str, capture_ids: Sequence[str]) -> dict[str, Stored]:
    """Each capture's counters and refund rows, read from the servers' database."""
    db = Database(database_url)
    try:
        with db.session(write=False) as session:
            sums = (
                select(
                    Refund.capture_id,
                    func.count(Refund.id).label("rows"),
                    func.sum(Refund.amount_minor).label("total"),
                )
                .group_by(Refund.capture_id)
                .subquery()
            )
            query = (
                select(
                    Capture.amazon_id,
                    Capture.refund_reserved_minor,
                    Capture.refund_count,
                    func.coalesce(sums.c.rows, 0),
                    func.coalesce(sums.c.total, 0),
                )
                .outerjoin(sums, sums.c.capture_id == Capture.id)
                .where(Capture.amazon_id.in_(capture_ids))
            )
            return {row[0]: Stored(*row[1:]) for row in session.execute(query)}
    finally:
        db.dispose()
