"""Refunds racing on one capture never exceed its limits and never fail for losing the race, on
SQLite (a file) and PostgreSQL.

In process: threads, each with its own Flask test client, released together by a barrier.
Live: two real ``gateway serve`` processes on one database, the official SDK's requests spread
over both (``tests.support.race``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.domain import clock_control, order_references, payments
from gateway.domain.lifecycle import Context
from gateway.fps import transactions as fps_transactions
from gateway.runtime import Runtime
from gateway.store import merchants as store_merchants
from gateway.store.models import Capture, Refund
from tests.fps.helpers import FpsAnswer, FpsApi
from tests.helpers import Answer, SignedApi
from tests.support.race import RefundRace, Stored, race, stored
from tests.support.servers import GatewayServer


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


# --- a write that meets a concurrent one waits for it (PostgreSQL) -------------------------------
# The first write runs in a transaction held open; the second is a real request. It must block
# behind the first (a row lock), then see what the first committed: answered by the rules, in one
# run of its unit of work. Without the lock it lost the row version's compare-and-set and ran
# again (Refund, Capture, CloseOrderReference ...: under 16-fold contention that ran out of
# retries, a 500), or did not meet the first at all and broke a limit (Authorize).

#: How long the request may take to block behind the held transaction.
BLOCK_DEADLINE = 10.0


@dataclass(frozen=True)
class Contended:
    #: Makes the contended object (through the APIs); its id.
    setup: Callable[[SignedApi, FpsApi], str]
    #: The first write, in the held transaction.
    first: Callable[[Context, str], object]
    #: The second, a request: its (HTTP status, error code).
    second: Callable[[SignedApi, FpsApi, str], tuple[int, str | None]]
    expected: tuple[int, str | None]


def _answer(answer: Answer | FpsAnswer) -> tuple[int, str | None]:
    return answer.status, answer.code


def _refunded_nine_times(api: SignedApi, _fps: FpsApi) -> str:
    capture_id = api.completed_capture("100.00")
    for i in range(9):
        assert api.refund(capture_id, "1.00", f"pre-{i}").status == 200
    return capture_id


def _advance(api: SignedApi, _fps: FpsApi, seller_id: str) -> tuple[int, str | None]:
    path = f"/sandbox/api/v1/merchants/{seller_id}/clock/advance"
    response = api.client.post(path, json={"seconds": 1})
    return response.status_code, None


def _advance_first(ctx: Context, _seller_id: str) -> None:
    merchant = store_merchants.for_update(ctx.session, ctx.merchant.id)
    clock_control.advance(merchant, 1, ctx.now)  # base: only checked against the end of time


def _paid(_api: SignedApi, fps: FpsApi) -> str:
    paid = fps.pay(fps.install_token(payment_method="ABT"), "10.00")
    transaction_id = paid.find("PayResult/TransactionId")
    assert transaction_id and paid.find("PayResult/TransactionStatus") == "Success"
    return transaction_id


CONTENDED = {
    "Refund": Contended(
        _refunded_nine_times,
        lambda ctx, cap: payments.refund(ctx, cap, "first", "1.00", "USD"),
        lambda api, _fps, cap: _answer(api.refund(cap, "1.00", "second")),
        (400, "TransactionCountExceeded"),
    ),
    "Capture": Contended(
        lambda api, _fps: api.open_authorization("100.00"),
        lambda ctx, auth: payments.capture(ctx, auth, "first", "100.00", "USD"),
        lambda api, _fps, auth: _answer(api.capture(auth, "100.00", "second")),
        (405, "InvalidAuthorizationStatus"),
    ),
    "Authorize": Contended(
        lambda api, _fps: api.open_order("100.00"),
        lambda ctx, oro: payments.authorize(ctx, oro, "first", "60.00", "USD", 0),
        lambda api, _fps, oro: _answer(api.authorize(oro, "60.00", "second")),
        (400, "TransactionAmountExceeded"),  # 120.00 would pass the 115.00 limit
    ),
    "CloseOrderReference": Contended(
        lambda api, _fps: api.open_order("100.00"),
        lambda ctx, oro: order_references.close_order_reference(ctx, oro),
        lambda api, _fps, oro: _answer(api.call("CloseOrderReference", AmazonOrderReferenceId=oro)),
        (400, "InvalidOrderReferenceStatus"),
    ),
    "FPS Pay": Contended(
        lambda _api, fps: fps.install_token("SingleUse", payment_method="ABT"),
        lambda ctx, token: fps_transactions.pay(
            ctx, sender_token_id=token, amount="5.00", currency="USD", caller_reference="first"
        ),
        lambda _api, fps, token: _answer(fps.pay(token, "5.00", "second")),
        (400, "TokenUsageError"),
    ),
    "FPS Refund": Contended(
        _paid,
        lambda ctx, txn: fps_transactions.refund(
            ctx, transaction_id=txn, caller_reference="first", amount="10.00", currency="USD"
        ),
        lambda _api, fps, txn: _answer(fps.refund(txn, "10.00", "second")),
        (400, "TransactionFullyRefundedAlready"),
    ),
    "clock advance": Contended(
        lambda api, _fps: api.merchant.seller_id, _advance_first, _advance, (200, None)
    ),
}


def lock_waits(runtime: Runtime) -> int:
    """Sessions of this test's database waiting for a lock another holds."""
    with runtime.db.engine.connect() as connection:
        waiting: int = connection.exec_driver_sql(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).scalar_one()
        return waiting


@pytest.mark.parametrize("name", list(CONTENDED))
def test_a_write_meeting_a_concurrent_one_waits_for_it_instead_of_failing(
    api, app, merchant, runtime, caplog, name
):
    if runtime.db.is_sqlite:
        pytest.skip("SQLite's writers take turns (one write lock): no row is ever contended")
    case = CONTENDED[name]
    target = case.setup(api, FpsApi(app.test_client(), merchant, api.clock))
    held, release = threading.Event(), threading.Event()

    def hold(session: Session) -> None:
        record = store_merchants.by_seller_id(session, merchant.seller_id)
        assert record is not None
        case.first(runtime.context(session, record), target)
        held.set()
        release.wait(30)

    caplog.set_level(logging.DEBUG, logger="gateway.store.db")
    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(runtime.db.run, hold)
        try:
            assert held.wait(30)
            second = pool.submit(
                case.second,
                thread_api(api)(),
                FpsApi(app.test_client(), merchant, api.clock),
                target,
            )
            deadline = time.monotonic() + BLOCK_DEADLINE
            while not lock_waits(runtime):
                assert not second.done(), f"did not wait for the first write: {second.result()}"
                assert time.monotonic() < deadline, "the request did not block behind the first"
                time.sleep(0.01)  # poll interval, bounded by the deadline
        finally:
            release.set()
        first.result(timeout=30)
        assert second.result(timeout=30) == case.expected
    assert not [r.getMessage() for r in caplog.records if "lost a race" in r.getMessage()]


# --- live: two servers on one database ----------------------------------------------------------

#: Trials per suite run (one server pair; both limits twice); ``bench/race.py`` runs 200
#: (bench/README.md).
SUITE_TRIALS = 4


@pytest.fixture
def two_servers(live_server, own_server) -> list[GatewayServer]:
    """Two ``gateway serve`` processes (each 2 gunicorn workers) sharing one database: the
    session's live server and one more on its database."""
    return [live_server, own_server(database_url=live_server.database_url).start()]


@pytest.mark.e2e
@pytest.mark.sdk
def test_refunds_racing_through_two_servers_on_one_database(two_servers):
    rig = RefundRace(two_servers)
    trials = [rig.trial(capture_id, limit) for capture_id, limit in rig.captures(SUITE_TRIALS)]
    # Exactly what the rules allow, every time: no request failed or was refused for losing.
    assert [t.answers for t in trials] == [t.expected for t in trials]
    held = stored(two_servers[0].database_url, [t.capture_id for t in trials])
    for t in trials:
        accepted = t.limit.accepted
        assert held[t.capture_id] == Stored(100 * accepted, accepted, accepted, 100 * accepted)


@pytest.mark.e2e
@pytest.mark.sdk
def test_live_identical_requests_make_one_refund(live_server):
    from tests.core.test_sdk_e2e import Flow

    merchant = live_server.new_merchant()
    flow = Flow(live_server, merchant, live_server.sdk(merchant))
    capture_id = flow.capture("100.00")
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
