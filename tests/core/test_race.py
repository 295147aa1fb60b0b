"""Refunds racing on one capture never exceed its cap, on SQLite (a file) and PostgreSQL.

In process: threads, each with its own Flask test client, released together by a barrier.
Live: the same against a real ``gateway serve`` (several gunicorn processes and threads).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select

from gateway.store.models import Capture, Refund
from tests.helpers import Answer, SignedApi
from tests.support.servers import GatewayServer

T = TypeVar("T")


def race(n: int, work: Callable[[int], T]) -> list[T]:
    """Run ``work(i)`` for i in 0..n-1 in n threads, all released at the same moment."""
    barrier = threading.Barrier(n)

    def run(i: int) -> T:
        barrier.wait(timeout=30)
        return work(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def stored_capture(runtime, capture_id: str) -> tuple[int, int, int, int]:
    """(reserved, count, refund rows, sum of refund rows) of the stored capture."""
    with runtime.db.session(write=False) as session:
        cap = session.scalar(select(Capture).where(Capture.amazon_id == capture_id))
        assert cap is not None
        rows, total = session.execute(
            select(func.count(Refund.id), func.coalesce(func.sum(Refund.amount_minor), 0)).where(
                Refund.capture_id == cap.id
            )
        ).one()
        return cap.refund_reserved_minor, cap.refund_count, rows, total


def thread_api(api: SignedApi) -> Callable[[], SignedApi]:
    return lambda: SignedApi(api.client.application.test_client(), api.merchant, api.clock)


@pytest.mark.parametrize("n", [2, 8])
def test_racing_refunds_never_exceed_the_cap(api, runtime, n):
    capture_id = api.completed_capture("100.00")
    make = thread_api(api)
    answers: list[Answer] = race(n, lambda i: make().refund(capture_id, "40.00", f"race-{i}"))
    outcome = Counter((a.status, a.code) for a in answers)
    accepted = min(n, 2)  # 115.00 / 40.00
    refused: dict[tuple[int, str | None], int] = (
        {(400, "TransactionAmountExceeded"): n - 2} if n > 2 else {}
    )
    assert outcome == {
        (200, None): accepted,
        **refused,
    }
    reserved, count, rows, total = stored_capture(runtime, capture_id)
    assert (reserved, count, rows, total) == (4000 * accepted, accepted, accepted, 4000 * accepted)


def test_racing_refunds_of_mixed_amounts(api, runtime):
    capture_id = api.completed_capture("100.00")
    make = thread_api(api)
    amounts = ["60.00", "50.00", "30.00", "20.00", "10.00", "5.00", "1.00", "0.01"]
    answers = race(len(amounts), lambda i: make().refund(capture_id, amounts[i], f"mix-{i}"))
    accepted = sum(
        int(amount.replace(".", ""))
        for amount, answer in zip(amounts, answers, strict=True)
        if answer.status == 200
    )
    assert all(a.status == 200 or a.code == "TransactionAmountExceeded" for a in answers)
    assert accepted <= 11500
    reserved, count, rows, total = stored_capture(runtime, capture_id)
    assert (reserved, total) == (accepted, accepted)
    assert count == rows == sum(a.status == 200 for a in answers)


def test_identical_concurrent_requests_make_one_refund(api, runtime):
    capture_id = api.completed_capture("100.00")
    make = thread_api(api)
    answers = race(8, lambda i: make().refund(capture_id, "10.00", "same-ref"))
    assert [a.status for a in answers] == [200] * 8
    ids = {a.find("RefundResult/RefundDetails/AmazonRefundId") for a in answers}
    assert len(ids) == 1
    assert stored_capture(runtime, capture_id) == (1000, 1, 1, 1000)


def test_racing_eleventh_refunds(api, runtime):
    capture_id = api.completed_capture("100.00")
    for i in range(8):
        assert api.refund(capture_id, "1.00", f"pre-{i}").status == 200
    make = thread_api(api)
    answers = race(6, lambda i: make().refund(capture_id, "1.00", f"late-{i}"))
    assert Counter((a.status, a.code) for a in answers) == {
        (200, None): 2,
        (400, "TransactionCountExceeded"): 4,
    }
    assert stored_capture(runtime, capture_id) == (1000, 10, 10, 1000)


# --- against a live server -----------------------------------------------------------------------


def _capture(live_server: GatewayServer, merchant: dict[str, Any]) -> tuple[Any, str]:
    from tests.core.test_sdk_e2e import Flow

    flow = Flow(live_server, merchant, live_server.sdk(merchant))
    return flow, flow.capture("100.00")


@pytest.mark.e2e
@pytest.mark.sdk
def test_live_racing_refunds(live_server):
    merchant = live_server.new_merchant()
    flow, capture_id = _capture(live_server, merchant)
    answers = race(8, lambda i: live_server.sdk(merchant).refund(capture_id, f"live-{i}", "40.00"))
    codes = Counter(
        "ok" if a.success else a.to_dict()["ErrorResponse"]["Error"]["Code"] for a in answers
    )
    assert codes == {"ok": 2, "TransactionAmountExceeded": 6}
    capture = flow.client.get_capture_details(capture_id).to_dict()
    members = capture["GetCaptureDetailsResponse"]["GetCaptureDetailsResult"]["CaptureDetails"][
        "IdList"
    ]["member"]
    assert len(members) == 2


@pytest.mark.e2e
@pytest.mark.sdk
def test_live_identical_requests_make_one_refund(live_server):
    merchant = live_server.new_merchant()
    flow, capture_id = _capture(live_server, merchant)
    answers = race(8, lambda i: live_server.sdk(merchant).refund(capture_id, "one-ref", "10.00"))
    assert all(a.success for a in answers), [a.to_xml() for a in answers if not a.success]
    ids = {
        a.to_dict()["RefundResponse"]["RefundResult"]["RefundDetails"]["AmazonRefundId"]
        for a in answers
    }
    assert len(ids) == 1
    capture = flow.client.get_capture_details(capture_id).to_dict()
    details = capture["GetCaptureDetailsResponse"]["GetCaptureDetailsResult"]["CaptureDetails"]
    assert details["IdList"]["member"] == ids.pop()
