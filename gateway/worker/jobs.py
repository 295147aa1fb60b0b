"""Due work, as plain functions that tests call directly (``gateway.worker.sweep`` runs it in
every scheduler tick, then IPN delivery). No Flask here.

``run_due_work`` applies every due transition, merchant by merchant at each merchant's own
simulated now, earliest first, in batches of one transaction each (a batch that loses a race is
retried whole by ``Database.run``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.domain.settlement import (
    apply_due_batch,
    due_items,
    merchants_with_due_work,
    prefetch,
)
from gateway.runtime import Runtime
from gateway.store import merchants
from gateway.store.models import Merchant

log = logging.getLogger(__name__)

#: Due items applied per transaction.
BATCH_SIZE = 2000


def latest_merchant_now(session: Session, runtime: Runtime) -> datetime:
    """The furthest-ahead simulated time of any merchant (an upper bound for due queries)."""
    base = runtime.clock.now()
    offset, frozen = session.execute(
        select(func.max(Merchant.clock_offset_seconds), func.max(Merchant.clock_frozen_at))
    ).one()
    latest = base + timedelta(seconds=max(offset or 0.0, 0.0))
    if frozen is not None:
        # max() over the column bypasses the UTC type decorator on some backends.
        frozen = frozen if frozen.tzinfo else frozen.replace(tzinfo=UTC)
        latest = max(latest, frozen)
    return latest


def run_due_work(runtime: Runtime, merchant_id: int | None = None, batch: int = BATCH_SIZE) -> int:
    """Apply all work that is due now; returns how many transitions were applied."""
    if merchant_id is None:
        with runtime.db.session(write=False) as session:
            latest = latest_merchant_now(session, runtime)
            merchant_ids = merchants_with_due_work(runtime.registry, session, latest)
    else:
        merchant_ids = [merchant_id]
    total = 0
    for mid in merchant_ids:
        while True:

            def work(session: Session, mid: int = mid) -> int:
                merchant = merchants.by_id(session, mid)
                if merchant is None:
                    return 0
                ctx = runtime.context(session, merchant)
                items = due_items(runtime.registry, session, mid, ctx.now, batch)
                loaded = prefetch(runtime.registry, session, items)
                # One flush at commit instead of an autoflush before every query of every item.
                with session.no_autoflush:
                    applied = apply_due_batch(ctx, items)
                del loaded
                return applied

            applied = runtime.db.run(work)
            total += applied
            if applied < batch:
                break
    if total:
        log.info("applied %d due transitions", total)
    return total
