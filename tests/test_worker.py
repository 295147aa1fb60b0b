"""The scheduler and concurrent sweeps: due work is applied once, whoever gets there first."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from gateway.domain import settlement
from gateway.runtime import Runtime
from gateway.store.db import Database
from gateway.store.models import Merchant, Notification, Refund
from gateway.worker import jobs
from gateway.worker import scheduler as scheduler_module
from gateway.worker import sweep as sweep_module
from gateway.worker.scheduler import build_scheduler
from tests.helpers import new_merchant


def test_the_scheduler_thread_sweeps_due_work(api, runtime, clock, monkeypatch):
    cap_id = api.completed_capture("20.00")
    refund_id = api.refund(cap_id, "2.00", "r1").find("RefundResult/RefundDetails/AmazonRefundId")
    clock.advance(5)
    swept = threading.Event()

    def sweep(rt: Runtime) -> int:
        applied = real_sweep(rt)
        swept.set()
        return applied

    # The name the scheduler's job calls (gateway.worker.scheduler imports it from .sweep).
    real_sweep = sweep_module.sweep
    monkeypatch.setattr(scheduler_module, "sweep", sweep)
    scheduler = build_scheduler(runtime)
    try:
        scheduler.start()
        assert swept.wait(timeout=10), "the scheduler did not sweep within 10 s"
    finally:
        scheduler.shutdown(wait=True)
        runtime.dispatcher.close()
    answer = api.ok("GetRefundDetails", AmazonRefundId=refund_id)
    assert answer.find("GetRefundDetailsResult/RefundDetails/RefundStatus/State") == "Completed"


def test_two_workers_sweeping_at_once_apply_each_transition_once(api, runtime, clock):
    cap_ids = [api.completed_capture("50.00") for _ in range(3)]
    for n, cap_id in enumerate(cap_ids):
        for k in range(4):
            assert api.refund(cap_id, "1.00", f"r{n}-{k}").status == 200
    clock.advance(5)
    # A second process's view of the same database: its own engine and sessions.
    other = Runtime(
        settings=runtime.settings, db=Database(runtime.db.url), clock=clock, ids=runtime.ids
    )
    applied: list[int] = []
    barrier = threading.Barrier(2)

    def sweep(rt: Runtime) -> None:
        barrier.wait()
        applied.append(jobs.run_due_work(rt, batch=2))

    threads = [threading.Thread(target=sweep, args=(rt,)) for rt in (runtime, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.db.dispose()
    assert sum(applied) == 12
    with runtime.db.session(write=False) as session:
        completed = session.scalar(select(func.count()).where(Refund.state == "Completed"))
        notified = session.scalar(
            select(func.count()).where(Notification.notification_type == "PaymentRefund")
        )
    assert (completed, notified) == (12, 12)


def test_a_merchant_far_ahead_makes_no_other_merchant_a_candidate(api, app, runtime, clock):
    """Each merchant's due work is judged at its own clock: a merchant moved a year ahead must
    not make every sweep open a write transaction for others whose work falls due in that year."""
    cap_id = api.completed_capture("20.00")
    assert api.refund(cap_id, "2.00", "r1").status == 200  # Pending, due at its clock + delay
    ahead = new_merchant(runtime)
    control = app.test_client()
    answer = control.post(
        f"/sandbox/api/v1/merchants/{ahead.seller_id}/clock/advance", json={"seconds": 365 * 86400}
    )
    assert answer.status_code == 200, answer.get_json()
    mine = merchant_id(runtime, api.merchant.seller_id)

    def candidates() -> list[int]:
        base = runtime.clock.now()
        with runtime.db.session(write=False) as session:
            latest = jobs.latest_merchant_now(session, base)
            return settlement.merchants_with_due_work(runtime.registry, session, latest, base)

    assert candidates() == []  # the refund is due within the year, not yet at its own clock
    clock.advance(5)
    assert candidates() == [mine]
    assert jobs.run_due_work(runtime) == 1
    assert candidates() == []


def merchant_id(runtime: Runtime, seller_id: str) -> int:
    with runtime.db.session(write=False) as session:
        found = session.scalar(select(Merchant.id).where(Merchant.seller_id == seller_id))
    assert found is not None
    return found
