"""Delivery and retry rules, against real HTTP receivers; time moves by the frozen clock."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from urllib3 import Timeout

from gateway.ipn import outbox, transport
from gateway.ipn.leases import claim
from gateway.ipn.outbox import deliver_due
from gateway.runtime import Runtime
from gateway.store.models import Merchant, Notification, NotificationAttempt
from gateway.worker.sweep import sweep
from tests.helpers import SignedApi, new_merchant
from tests.support.servers import free_port
from tests.support.sink import Sink

#: More than the longest compressed retry wait (60 s cap + 25 % jitter).
PAST_ANY_RETRY = 100


def rows(runtime: Runtime) -> list[Notification]:
    with runtime.db.session(write=False) as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def attempts(runtime: Runtime, notification_id: int) -> list[NotificationAttempt]:
    with runtime.db.session(write=False) as session:
        query = select(NotificationAttempt).where(
            NotificationAttempt.notification_id == notification_id
        )
        return list(session.scalars(query.order_by(NotificationAttempt.id)))


def only_row(runtime: Runtime) -> Notification:
    (row,) = rows(runtime)
    return row


def test_500_twice_then_200_gets_three_attempts_of_the_same_message(
    api, runtime, clock, receiver, configure, deliver
):
    receiver.script = [500, 500]
    configure(ipn_url=receiver.url)
    api.open_authorization()  # one notification: the authorization is Open
    assert deliver() == 1
    row = only_row(runtime)
    assert (row.delivery_state, row.attempt_count) == ("pending", 1)
    assert row.next_attempt_at is not None and row.next_attempt_at > clock.now()
    assert deliver() == 0  # not due yet: nothing is posted early
    clock.advance(PAST_ANY_RETRY)
    deliver()
    clock.advance(PAST_ANY_RETRY)
    deliver()
    row = only_row(runtime)
    assert (row.delivery_state, row.attempt_count) == ("delivered", 3)
    assert row.acknowledged_at == clock.now()
    log = attempts(runtime, row.id)
    assert [(a.status_code, a.outcome) for a in log] == [
        (500, "retry"),
        (500, "retry"),
        (200, "acknowledged"),
    ]
    assert all(a.latency_ms >= 0 and a.url == receiver.url for a in log)
    assert log[0].response_snippet == "ok"
    # Retries post the very same bytes: one MessageId receivers can dedupe by.
    assert len(set(receiver.bodies())) == 1
    clock.advance(PAST_ANY_RETRY)
    assert deliver() == 0


def test_retries_back_off_exponentially_with_jitter(api, runtime, clock, receiver, configure):
    receiver.default = 503
    runtime.settings = runtime.settings.replace(
        ipn_retry_base_seconds=10, ipn_retry_max_interval_seconds=1000
    )
    configure(ipn_url=receiver.url)
    api.open_authorization()
    waits = []
    for _ in range(4):
        deliver_due(runtime, wait=True)
        row = only_row(runtime)
        waits.append((row.next_attempt_at - clock.now()).total_seconds())
        clock.set(row.next_attempt_at)
    for n, wait in enumerate(waits):
        assert 10 * 2**n <= wait <= 10 * 2**n * 1.25


def test_a_4xx_is_not_retried(api, runtime, clock, receiver, configure, deliver):
    receiver.default = 404
    configure(ipn_url=receiver.url)
    api.open_authorization()
    deliver()
    clock.advance(PAST_ANY_RETRY)
    assert deliver() == 0
    row = only_row(runtime)
    assert (row.delivery_state, row.next_attempt_at, row.acknowledged_at) == ("failed", None, None)
    assert [(a.status_code, a.outcome) for a in attempts(runtime, row.id)] == [(404, "failed")]
    assert len(receiver.received) == 1


def test_retry_all_retries_a_4xx(api, runtime, clock, receiver, configure, deliver):
    receiver.script = [400]
    configure(ipn_url=receiver.url, ipn_retry_all=True)
    api.open_authorization()
    deliver()
    clock.advance(PAST_ANY_RETRY)
    deliver()
    assert only_row(runtime).delivery_state == "delivered"
    assert len(receiver.received) == 2


def test_an_unreachable_endpoint_is_not_retried(api, runtime, clock, configure, deliver):
    configure(ipn_url=f"http://127.0.0.1:{free_port()}/ipn")
    api.open_authorization()
    deliver()
    row = only_row(runtime)
    assert row.delivery_state == "failed"
    (attempt,) = attempts(runtime, row.id)
    assert attempt.status_code is None and (attempt.error or "").startswith("unreachable")


def test_a_receiver_that_is_down_gets_it_when_it_comes_up_with_retry_all(
    api, runtime, clock, configure, deliver
):
    port = free_port()
    configure(ipn_url=f"http://127.0.0.1:{port}/ipn", ipn_retry_all=True)
    api.open_authorization()
    deliver()
    assert only_row(runtime).delivery_state == "pending"
    with Sink(port=port) as receiver:
        clock.advance(PAST_ANY_RETRY)
        deliver()
        assert len(receiver.received) == 1
    row = only_row(runtime)
    assert row.delivery_state == "delivered"
    assert [a.outcome for a in attempts(runtime, row.id)] == ["retry", "acknowledged"]


def test_retries_stop_at_the_horizon(api, runtime, clock, receiver, configure, deliver):
    receiver.default = 500
    runtime.settings = runtime.settings.replace(
        ipn_retry_base_seconds=4, ipn_retry_horizon_seconds=10
    )
    configure(ipn_url=receiver.url)
    api.open_authorization()
    deliver()  # t=0: next in 4-5 s
    clock.advance(5)
    deliver()  # t=5: next would be 8-10 s later, past the 10 s horizon
    row = only_row(runtime)
    assert (row.delivery_state, row.next_attempt_at) == ("failed", None)
    assert [a.outcome for a in attempts(runtime, row.id)] == ["retry", "failed"]


def test_duplicate_delivers_each_notification_twice(api, runtime, receiver, configure, deliver):
    configure(ipn_url=receiver.url, ipn_duplicate=True)
    api.open_authorization()
    deliver()
    first, second = receiver.bodies()
    assert first == second
    row = only_row(runtime)
    assert row.delivery_state == "delivered"
    assert [a.outcome for a in attempts(runtime, row.id)] == ["acknowledged", "acknowledged"]


def test_reorder_delivers_a_batch_newest_first(api, runtime, receiver, configure, deliver):
    configure(ipn_url=receiver.url, ipn_reorder=True)
    made = [api.open_authorization() for _ in range(3)]
    deliver()
    got = [json.loads(json.loads(b)["Message"])["NotificationData"] for b in receiver.bodies()]
    assert [next(i for i in made if i in data) for data in got] == made[::-1]
    configure(ipn_reorder=False)
    later = [api.open_authorization() for _ in range(2)]
    deliver()
    tail = [json.loads(json.loads(b)["Message"])["NotificationData"] for b in receiver.bodies()]
    assert [next(i for i in later if i in data) for data in tail[3:]] == later


def test_without_endpoint_a_notification_waits_for_a_redelivery(
    app, api, merchant, runtime, receiver, configure, deliver
):
    api.open_authorization()
    deliver()
    row = only_row(runtime)
    assert (row.delivery_state, row.attempt_count) == ("no_endpoint", 0)
    configure(ipn_url=receiver.url)
    deliver()
    assert receiver.received == []  # not replayed by itself
    client = app.test_client()
    base = f"/sandbox/api/v1/merchants/{merchant.seller_id}/notifications"
    assert client.post(f"{base}/{row.id}/redeliver").status_code == 202
    deliver()
    assert only_row(runtime).delivery_state == "delivered"
    assert len(receiver.received) == 1


def test_nothing_is_lost_when_delivery_fails_midway(
    api, runtime, clock, receiver, configure, deliver, monkeypatch
):
    configure(ipn_url=receiver.url)
    api.open_authorization()

    def crash(*_args):
        raise RuntimeError("the process died after posting, before recording the post")

    monkeypatch.setattr(outbox, "_settle", crash)
    deliver()
    row = only_row(runtime)
    assert (row.delivery_state, row.acknowledged_at) == ("in_flight", None)
    monkeypatch.undo()
    assert deliver() == 0  # still claimed by the dead worker's lease
    clock.advance(runtime.settings.ipn_claim_lease_seconds + 1)
    assert deliver() == 1
    row = only_row(runtime)
    assert (row.delivery_state, row.attempt_count) == ("delivered", 2)
    # Posted again, the same message: a duplicate the receiver dedupes, never a loss.
    first, second = receiver.received
    assert first.body == second.body


def test_a_fault_while_posting_fails_the_row_with_its_reason(
    api, runtime, clock, receiver, configure, deliver, monkeypatch
):
    configure(ipn_url=receiver.url)
    api.open_authorization()

    def fault(_http, _prepared):
        raise RuntimeError("a bug of ours")

    monkeypatch.setattr(outbox, "post", fault)
    deliver()
    monkeypatch.undo()
    row = only_row(runtime)
    assert (row.delivery_state, row.attempt_count) == ("failed", 1)
    (attempt,) = attempts(runtime, row.id)
    assert (attempt.outcome, attempt.error) == (
        "failed",
        "cannot post: RuntimeError: a bug of ours",
    )
    clock.advance(runtime.settings.ipn_claim_lease_seconds + 1)
    assert deliver() == 0  # not claimed again at the lease's end
    assert receiver.received == []


def test_a_claim_is_taken_once(api, runtime, clock, receiver, configure, deliver):
    configure(ipn_url=receiver.url)
    api.open_authorization()
    with runtime.db.session(write=False) as session:
        merchant_id = session.scalars(select(Merchant.id)).one()
    lease_end = clock.now() + timedelta(seconds=60)
    first = runtime.db.run(lambda s: claim(merchant_id, clock.now(), clock.now(), lease_end, 10, s))
    second = runtime.db.run(
        lambda s: claim(merchant_id, clock.now(), clock.now(), lease_end, 10, s)
    )
    assert len(first) == 1 and second == []
    # The claim's holder crashed without posting: after its lease, another worker delivers.
    assert deliver() == 0
    clock.advance(61)
    assert deliver() == 1
    assert len(receiver.received) == 1


def test_a_dead_workers_claim_ends_in_real_time_even_when_the_merchant_clock_is_frozen(
    api, runtime, clock, receiver, configure, deliver
):
    configure(ipn_url=receiver.url)
    api.open_authorization()

    def freeze(session):
        merchant = session.scalars(select(Merchant)).one()
        merchant.clock_frozen_at = clock.now()
        return merchant.id

    merchant_id = runtime.db.run(freeze)
    lease_end = clock.now() + timedelta(seconds=runtime.settings.ipn_claim_lease_seconds)
    runtime.db.run(lambda s: claim(merchant_id, clock.now(), clock.now(), lease_end, 10, s))
    assert deliver() == 0
    clock.advance(runtime.settings.ipn_claim_lease_seconds + 1)  # the merchant's time stands
    assert deliver() == 1
    assert only_row(runtime).delivery_state == "delivered"


def test_two_workers_sweeping_at_once_post_each_notification_once(
    api, runtime, receiver, configure
):
    configure(ipn_url=receiver.url)
    for _ in range(5):
        api.open_authorization()
    # A second process: same database and clock, its own dispatcher.
    other = Runtime(settings=runtime.settings, db=runtime.db, clock=runtime.clock, ids=runtime.ids)
    start = threading.Barrier(2)

    def sweep_in(rt: Runtime) -> None:
        start.wait()
        deliver_due(rt, wait=True)

    threads = [threading.Thread(target=sweep_in, args=(rt,)) for rt in (runtime, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    other.dispatcher.close()
    assert len(receiver.received) == 5
    assert len(set(receiver.bodies())) == 5
    assert {r.delivery_state for r in rows(runtime)} == {"delivered"}


def test_a_hanging_receiver_does_not_hold_up_other_merchants(app, api, runtime, clock, configure):
    gate = threading.Event()
    with Sink(gate=gate) as hanging, Sink() as healthy:
        configure(ipn_url=hanging.url)
        api.open_authorization()
        other = new_merchant(runtime, ipn_url=healthy.url)
        SignedApi(app.test_client(), other, clock).open_authorization()
        deliver_due(runtime)  # the scheduler's way: does not wait for the posts
        assert healthy.got_one.wait(10)
        assert hanging.received == []
        gate.set()
        assert runtime.dispatcher.wait_idle(30)
        assert len(hanging.received) == 1
    assert {r.delivery_state for r in rows(runtime)} == {"delivered"}


def test_every_sweep_delivers(api, runtime, receiver, configure):
    configure(ipn_url=receiver.url)
    api.open_authorization()
    sweep(runtime)
    assert runtime.dispatcher.wait_idle(30)
    assert len(receiver.received) == 1


@pytest.mark.parametrize(
    ("status", "state", "outcome"),
    [
        (200, "delivered", "acknowledged"),
        (204, "delivered", "acknowledged"),
        (302, "pending", "retry"),
        (503, "pending", "retry"),
        (410, "failed", "failed"),
    ],
)
def test_what_each_answer_leads_to(
    api, runtime, receiver, configure, deliver, status, state, outcome
):
    receiver.default = status
    configure(ipn_url=receiver.url)
    api.open_authorization()
    deliver()
    row = only_row(runtime)
    assert row.delivery_state == state
    assert [(a.status_code, a.outcome) for a in attempts(runtime, row.id)] == [(status, outcome)]


def test_a_read_timeout_is_retried(api, runtime, configure, deliver, monkeypatch):
    monkeypatch.setattr(transport, "TIMEOUT", Timeout(connect=3, read=0.2))
    with Sink(gate=threading.Event()) as hanging:
        configure(ipn_url=hanging.url)
        api.open_authorization()
        deliver()
    row = only_row(runtime)
    assert row.delivery_state == "pending"
    (attempt,) = attempts(runtime, row.id)
    assert attempt.status_code is None and (attempt.error or "").startswith("timeout")
    assert attempt.outcome == "retry"
