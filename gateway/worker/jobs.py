"""The work of one sweep, as plain functions that tests call directly. No Flask here.

``run_due_work`` applies every due transition, merchant by merchant at each merchant's own
simulated now, earliest first, in batches of one transaction each (a batch that loses a race is
retried whole by ``Database.run``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import gateway.domain.disputes  # noqa: F401  (registers the ProcessingFailure refund hook)
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

#: Functions run after due work in every sweep (IPN delivery registers itself here).
AFTER_SWEEP: list[Callable[[Runtime], object]] = []


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
            merchant_ids = merchants_with_due_work(session, latest_merchant_now(session, runtime))
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
                items = due_items(session, mid, ctx.now, batch)
                loaded = prefetch(session, items)
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


def sweep(runtime: Runtime) -> int:
    """One scheduler tick: due work, then whatever registered to run after it."""
    # IPN delivery registers itself in AFTER_SWEEP when imported, so every process that sweeps
    # delivers. Imported here rather than with this module: web workers apply due work (the
    # sandbox clock API) but never sweep, and need not load delivery and requests.
    from gateway.ipn import delivery  # noqa: F401

    applied = run_due_work(runtime)
    for hook in AFTER_SWEEP:
        hook(runtime)
    return applied
