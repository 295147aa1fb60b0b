"""The scheduler and concurrent sweeps: due work is applied once, whoever gets there first."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from gateway.runtime import Runtime
from gateway.store.db import Database
from gateway.store.models import Notification, Refund
from gateway.worker import jobs
from gateway.worker import scheduler as scheduler_module
from gateway.worker import sweep as sweep_module
from gateway.worker.scheduler import build_scheduler


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
