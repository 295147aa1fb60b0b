"""Batched delivery: backlogs in order, chunks and their leases, stale claims, connections."""

from __future__ import annotations

import json
from datetime import timedelta
from functools import partial

from sqlalchemy import select

from gateway.ipn import outbox, transport
from gateway.ipn.leases import claim
from gateway.ipn.outbox import Posted, Target, deliver_due
from gateway.ipn.transport import PostResult, Prepared
from gateway.store.models import Merchant, NotificationMessage
from tests.ipn.test_delivery import attempts, only_row, rows
from tests.support.sink import Sink


def notified_ids(bodies: list[bytes], made: list[str]) -> list[str]:
    """Which of ``made`` each posted body is about, in arrival order."""
    data = [json.loads(json.loads(b)["Message"])["NotificationData"] for b in bodies]
    return [next(i for i in made if i in d) for d in data]


def test_a_backlog_goes_out_in_order_batch_after_batch_over_one_connection(
    api, runtime, configure, monkeypatch
):
    monkeypatch.setattr(transport, "REUSE_IDLE_SECONDS", 3600.0)
    # One pool thread: each thread keeps its own connection, and a batch's successor may run
    # on any of them.
    runtime.settings = runtime.settings.replace(ipn_delivery_threads=1)
    with Sink(keep_alive=True) as receiver:
        configure(ipn_url=receiver.url)
        made = [api.open_authorization() for _ in range(5)]
        # One sweep claims the first batch; each full batch claims the next when it is done.
        assert deliver_due(runtime, wait=True, batch=2) == 2
        assert notified_ids(receiver.bodies(), made) == made
        assert len(receiver.accepted) == 1
    assert {r.delivery_state for r in rows(runtime)} == {"delivered"}
    assert all(len(attempts(runtime, r.id)) == 1 for r in rows(runtime))


def test_a_connection_idle_too_long_is_not_reused(api, runtime, configure, monkeypatch):
    monkeypatch.setattr(transport, "REUSE_IDLE_SECONDS", 0.0)
    with Sink(keep_alive=True) as receiver:
        configure(ipn_url=receiver.url)
        for _ in range(3):
            api.open_authorization()
        deliver_due(runtime, wait=True)
        assert len(receiver.received) == len(receiver.accepted) == 3


def test_a_long_answer_is_not_read_to_its_end_and_closes_its_connection(
    api, runtime, configure, monkeypatch
):
    monkeypatch.setattr(transport, "REUSE_IDLE_SECONDS", 3600.0)
    with Sink(
        keep_alive=True, answer=b"x" * (transport.SNIPPET_BYTES + transport.DRAIN_BYTES + 1)
    ) as receiver:
        configure(ipn_url=receiver.url)
        for _ in range(2):
            api.open_authorization()
        deliver_due(runtime, wait=True)
        assert len(receiver.accepted) == 2
    for row in rows(runtime):
        (attempt,) = attempts(runtime, row.id)
        assert (attempt.outcome, attempt.response_snippet) == ("acknowledged", "x" * 500)


def test_a_chunk_stops_posting_once_half_its_lease_is_gone(api, runtime, configure, monkeypatch):
    # A zero lease: every row after a chunk's first is past half its lease when its turn comes,
    # so each goes into a new chunk, whose transaction renews it before it is posted.
    runtime.settings = runtime.settings.replace(ipn_claim_lease_seconds=0)
    prepared: list[int] = []
    real_prepare = outbox._prepare

    def spy(rt, target, claims, session):
        prepared.append(len(claims))
        return real_prepare(rt, target, claims, session)

    monkeypatch.setattr(outbox, "_prepare", spy)
    with Sink() as receiver:
        configure(ipn_url=receiver.url)
        made = [api.open_authorization() for _ in range(3)]
        deliver_due(runtime, wait=True)
        assert notified_ids(receiver.bodies(), made) == made
    assert prepared == [3, 2, 1]
    assert {r.delivery_state for r in rows(runtime)} == {"delivered"}


def test_a_claim_that_lost_its_row_settles_nothing_but_logs_its_attempt(
    api, runtime, clock, receiver, configure, deliver
):
    configure(ipn_url=receiver.url)
    api.open_authorization()
    with runtime.db.session(write=False) as session:
        merchant = session.scalars(select(Merchant)).one()
        target = Target(merchant.id, receiver.url, False, False)
    lease = runtime.settings.ipn_claim_lease_seconds
    lease_end = clock.now() + timedelta(seconds=lease)
    (stale,) = runtime.db.run(partial(claim, merchant.id, clock.now(), clock.now(), lease_end, 10))
    clock.advance(lease + 1)  # the first worker's lease ends; another delivers the row
    assert deliver() == 1
    delivered = only_row(runtime)
    late = Posted(stale, Prepared(receiver.url, {}, b"", clock.now()), [PostResult(500, 1)])
    runtime.db.run(partial(outbox._settle, runtime, target, [late]))
    row = only_row(runtime)
    assert (row.delivery_state, row.attempt_count) == ("delivered", 2)
    assert row.acknowledged_at == delivered.acknowledged_at
    assert [a.status_code for a in attempts(runtime, row.id)] == [200, 500]
    with runtime.db.session(write=False) as session:
        message = session.scalars(select(NotificationMessage)).one()
        assert message.series_attempts == 1


def test_posts_go_through_the_environments_proxy(api, runtime, configure, monkeypatch):
    for name in ("HTTP_PROXY", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with Sink() as proxy:
        monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{proxy.port}")
        configure(ipn_url="http://merchant.invalid/ipn")
        api.open_authorization()
        deliver_due(runtime, wait=True)
        (forwarded,) = proxy.received
    assert forwarded.path == "http://merchant.invalid/ipn"
    assert only_row(runtime).delivery_state == "delivered"


def test_posts_are_settled_without_waiting_for_the_whole_chunk(
    api, runtime, configure, monkeypatch
):
    # Settling is due after every post: a slow receiver's rows show as delivered one by one.
    monkeypatch.setattr(outbox, "SETTLE_AFTER_SECONDS", 0.0)
    settled: list[int] = []
    real_settle = outbox._settle

    def spy(rt, target, posted, session):
        settled.append(len(posted))
        return real_settle(rt, target, posted, session)

    monkeypatch.setattr(outbox, "_settle", spy)
    with Sink() as receiver:
        configure(ipn_url=receiver.url)
        for _ in range(3):
            api.open_authorization()
        deliver_due(runtime, wait=True)
        assert len(receiver.received) == 3
    assert settled == [1, 1, 1]
    assert {r.delivery_state for r in rows(runtime)} == {"delivered"}
