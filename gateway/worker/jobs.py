"""Due work, as plain functions that tests call directly (``gateway.worker.sweep`` runs it in
every scheduler tick, then IPN delivery). No Flask here.

``run_due_work`` applies every due transition, merchant by merchant at each merchant's own
simulated now, earliest first, in batches of one transaction each (a batch that loses a race is
retried whole by ``Database.run``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from gateway.domain.settlement import (
    apply_due_batch,
    due_items,
    merchants_with_due_work,
    prefetch,
)
from gateway.runtime import Runtime
from gateway.store import merchants

log = logging.getLogger(__name__)

#: Due items applied per transaction.
BATCH_SIZE = 2000


def latest_merchant_now(session: Session, base: datetime) -> datetime:
    """The furthest-ahead simulated time of any merchant when the base clock says ``base`` (an
    upper bound for due queries)."""
    offset, frozen = merchants.furthest_clocks(session)
    latest = base + timedelta(seconds=max(offset, 0.0))
    return latest if frozen is None else max(latest, frozen)


def run_due_work(runtime: Runtime, merchant_id: int | None = None, batch: int = BATCH_SIZE) -> int:
    """Apply all work that is due now; returns how many transitions were applied."""
    if merchant_id is None:
        base = runtime.clock.now()
        with runtime.db.session(write=False) as session:
            latest = latest_merchant_now(session, base)
            merchant_ids = merchants_with_due_work(runtime.registry, session, latest, base)
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
