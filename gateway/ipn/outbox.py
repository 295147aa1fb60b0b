"""IPN delivery: find due notifications, claim them, post them, record every attempt, retry.

The rules of when an attempt is retried are ``gateway.ipn.retry``'s; the delivery states, claims
and leases ``gateway.ipn.leases``'s; one post ``gateway.ipn.transport``'s. This module runs them:
a merchant's due rows are claimed in one statement and go out on the process's ``Dispatcher``
pool, one merchant at a time per thread, over a keep-alive connection; a merchant without
``ipn_url`` has its due rows parked ``no_endpoint``.

Throughput: the bookkeeping is batched, not per row. A merchant's batch is claimed in one
statement; it then goes out in chunks, each one transaction that renews the chunk's leases and
loads or renders its messages, the posts, and one transaction that settles the chunk and logs
all its attempts. Every compare-and-set is still per row (each row's own token). No Flask here.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from gateway.domain.merchants import now_for
from gateway.domain.records import MerchantRecord
from gateway.faults import ipn as ipn_faults
from gateway.ipn import leases
from gateway.ipn.dispatcher import Work
from gateway.ipn.envelope import NoRenderer, RenderContext, render
from gateway.ipn.leases import CLAIMABLE, Claim, DeliveryState
from gateway.ipn.notification_data import NotifiedObjectMissing, prefetch
from gateway.ipn.retry import next_attempt, retryable
from gateway.ipn.transport import PostResult, Prepared, post
from gateway.runtime import Runtime
from gateway.store import merchants
from gateway.store.models import Notification, NotificationAttempt, NotificationMessage

log = logging.getLogger(__name__)

PENDING, DELIVERED, FAILED = DeliveryState.PENDING, DeliveryState.DELIVERED, DeliveryState.FAILED

#: Rows one merchant's batch claims at most (one claim transaction).
BATCH_SIZE = 100
#: Rows of a batch prepared, posted and settled together (one transaction before the posts, one
#: after). Rendering happens in the first, under SQLite's write lock, so it stays moderate.
CHUNK_SIZE = 50
#: Why a notification may not render that is no fault of ours: no renderer for its type, its
#: object gone, or its URL one that cannot be signed for (``ValueError`` from parsing it).
EXPECTED_RENDER_ERRORS = (NoRenderer, NotifiedObjectMissing, ValueError)
#: Posts are settled together at most this long after the first of them: a slow receiver's
#: rows do not wait for the whole chunk to show as delivered (or to wake the wait endpoint).
SETTLE_AFTER_SECONDS = 0.05


@dataclass(frozen=True)
class Target:
    """The merchant settings a batch was claimed under."""

    merchant_id: int
    url: str
    duplicate: bool
    reorder: bool


@dataclass(frozen=True)
class Posted:
    """A claimed row and what came of posting it (twice with ipn_duplicate)."""

    claim: Claim
    prepared: Prepared
    results: list[PostResult]


# Statements built once, their ids bound per call (``ids``, expanding): they run for every
# batch, and building one cost more than running it (as ``gateway.store.due``).
_HELD_ROWS = (
    select(Notification, NotificationMessage)
    .outerjoin(NotificationMessage, NotificationMessage.notification_id == Notification.id)
    .where(Notification.id.in_(bindparam("ids", expanding=True)))
)
_SERIES = select(
    NotificationMessage.notification_id,
    NotificationMessage.series_attempts,
    NotificationMessage.series_started_at,
).where(NotificationMessage.notification_id.in_(bindparam("ids", expanding=True)))
_COUNT_ATTEMPTS = (
    update(NotificationMessage)
    .where(NotificationMessage.notification_id.in_(bindparam("ids", expanding=True)))
    .values(series_attempts=NotificationMessage.series_attempts + 1)
    .execution_options(synchronize_session=False)
)
_INSERT_MESSAGES = insert(NotificationMessage)
_INSERT_ATTEMPTS = insert(NotificationAttempt)


# --- the sweep -----------------------------------------------------------------------------------


def deliver_due(runtime: Runtime, *, wait: bool = False, batch: int = BATCH_SIZE) -> int:
    """Claim every due notification and hand each merchant's batch to the pool.

    Returns how many rows were claimed (first batches only: a merchant whose batch was full
    claims its next one on the pool when it is done). The scheduler's sweep does not wait for
    the posts (a hanging receiver must not hold up the next sweep); ``wait=True`` (tests) blocks
    until every batch of this process is done, including ones started earlier.
    """
    pool = runtime.dispatcher
    base = runtime.clock.now()
    with runtime.db.session(write=False) as session:
        owners = merchants.with_notifications_in(session, CLAIMABLE)
    claimed = 0
    for merchant in owners:
        if not merchant.ipn_url:
            now = now_for(merchant, base)
            runtime.db.run(partial(leases.park_without_endpoint, merchant.id, now, base))
            continue
        if not pool.reserve(merchant.id):
            continue  # its previous batch is still going out here
        try:
            target, claims = runtime.db.run(partial(_claim_batch, runtime, merchant.id, batch))
        except Exception:
            pool.release(merchant.id)
            raise
        if target is None or not claims:
            pool.release(merchant.id)
            continue
        pool.submit(merchant.id, partial(_deliver_batch, runtime, target, claims, batch))
        claimed += len(claims)
    if wait:
        pool.wait_idle()
    return claimed


def _claim_batch(
    runtime: Runtime, merchant_id: int, batch: int, session: Session
) -> tuple[Target | None, list[Claim]]:
    """The merchant's settings now and its next claimed batch (none without an endpoint)."""
    merchant = merchants.one_by_id(session, merchant_id)
    if not merchant.ipn_url:
        return None, []  # the next sweep parks its rows
    base = runtime.clock.now()
    lease_end = base + timedelta(seconds=runtime.settings.ipn_claim_lease_seconds)
    claims = leases.claim(merchant_id, now_for(merchant, base), base, lease_end, batch, session)
    target = Target(merchant.id, merchant.ipn_url, merchant.ipn_duplicate, merchant.ipn_reorder)
    return target, claims


def _deliver_batch(
    runtime: Runtime, target: Target, claims: list[Claim], batch: int
) -> Work | None:
    """Post a claimed batch in chunks, then return the merchant's next batch if this was full.

    Each chunk is one transaction to renew its leases and load (or render) its messages, the
    posts, and one transaction to settle them and log the attempts (one per
    ``SETTLE_AFTER_SECONDS`` of posting, when the receiver is slow). A chunk stops posting when
    half its renewed lease is gone (a slow receiver), so no row is posted after its claim may
    have ended; the rest goes into the next chunk, which renews again.
    """
    pool = runtime.dispatcher
    lease = runtime.settings.ipn_claim_lease_seconds
    # ipn_reorder: the batch goes out newest first, to test receivers against reordering.
    queue = list(reversed(claims)) if target.reorder else list(claims)
    while queue:
        chunk, queue = queue[:CHUNK_SIZE], queue[CHUNK_SIZE:]
        try:
            prepared = runtime.db.run(partial(_prepare, runtime, target, chunk))
        except Exception:
            # The rows stay in_flight until their leases end, and are then claimed again.
            log.exception(
                "IPN delivery of notifications %s failed", [c.notification_id for c in chunk]
            )
            return None
        posted: list[Posted] = []
        sent = 0
        post_by = time.monotonic() + lease / 2
        settle_by = time.monotonic() + SETTLE_AFTER_SECONDS
        for i, (claim, message) in enumerate(zip(chunk, prepared, strict=True)):
            if message is None:
                continue  # lost to another worker, or settled as unrenderable
            if sent and time.monotonic() > post_by:
                queue = chunk[i:] + queue
                break
            http = pool.http()
            try:
                results = [post(http, message) for _ in range(2 if target.duplicate else 1)]
            except Exception as exc:
                # ``post`` classes every network failure and impossible URL itself: this is a
                # fault of ours. The row is settled like an unreachable endpoint (failed, or
                # retried to the horizon with ipn_retry_all) rather than left in flight, where
                # every lease end would claim it and fail again.
                log.exception("IPN delivery of notification %s failed", claim.notification_id)
                error = f"cannot post: {type(exc).__name__}: {exc}"
                results = [PostResult(None, 0, error=error, reached=False)]
            posted.append(Posted(claim, message, results))
            sent += 1
            if time.monotonic() >= settle_by:
                _settle_posted(runtime, target, posted)
                posted, settle_by = [], time.monotonic() + SETTLE_AFTER_SECONDS
        _settle_posted(runtime, target, posted)
    if len(claims) < batch:
        return None
    return partial(_next_batch, runtime, target.merchant_id, batch)


def _settle_posted(runtime: Runtime, target: Target, posted: list[Posted]) -> None:
    if posted:
        runtime.db.run(partial(_settle, runtime, target, posted))
        runtime.dispatcher.changed()


def _next_batch(runtime: Runtime, merchant_id: int, batch: int) -> Work | None:
    """Claim and deliver the merchant's next batch while it still holds its slot."""
    target, claims = runtime.db.run(partial(_claim_batch, runtime, merchant_id, batch))
    if target is None or not claims:
        return None
    return _deliver_batch(runtime, target, claims, batch)


def _merchant_now(
    runtime: Runtime, session: Session, merchant_id: int
) -> tuple[MerchantRecord, datetime]:
    merchant = merchants.one_by_id(session, merchant_id)
    return merchant, now_for(merchant, runtime.clock.now())


def _prepare(
    runtime: Runtime, target: Target, claims: list[Claim], session: Session
) -> list[Prepared | None]:
    """Renew the claims' leases and load (or render once and store) what to send, per claim;
    None for a row the claim no longer holds or that cannot be rendered."""
    base = runtime.clock.now()
    merchant, now = _merchant_now(runtime, session, target.merchant_id)
    lease_end = base + timedelta(seconds=runtime.settings.ipn_claim_lease_seconds)
    held = leases.renew(session, claims, lease_end)
    stored: dict[int, NotificationMessage] = {}
    rows: dict[int, Notification] = {}
    if held:
        # One query for both: the message stored by an earlier attempt, else the row to render.
        for row, found in session.execute(_HELD_ROWS, {"ids": list(held)}):
            message: NotificationMessage | None = found  # None: never rendered (outer join)
            if message is not None:
                stored[row.id] = message
            else:
                rows[row.id] = row
    prefetch(runtime.registry, session, rows.values())
    # IPN fault rules hit a notification when it is first prepared (gateway.faults.ipn).
    fault_rules = ipn_faults.rules(session, merchant.id) if rows else []
    url = merchant.ipn_url or target.url
    out: list[Prepared | None] = []
    new_messages: list[dict[str, Any]] = []
    for claim in claims:
        nid = claim.notification_id
        if nid not in held:
            out.append(None)  # the lease ran out and another worker took the row
            continue
        message = stored.get(nid)
        if message is not None:
            out.append(Prepared(url, dict(message.headers), message.body.encode("utf-8"), now))
            continue
        try:
            rendered = render(
                runtime.registry,
                RenderContext(
                    session,
                    rows[nid],
                    merchant,
                    now,
                    runtime.signing_key,
                    runtime.settings.resolved_public_url,
                    runtime.ids,
                    sent_at=runtime.clock.now(),
                ),
            )
        except SQLAlchemyError:
            raise  # the database's trouble: the whole chunk is tried again (``Database.run``)
        except Exception as exc:
            # Not something a retry can fix (no renderer, the object gone, a URL that cannot be
            # signed for): the row fails at once with the reason in its attempt log. Anything
            # else is a fault of ours, logged with its traceback, and fails the row the same way.
            if not isinstance(exc, EXPECTED_RENDER_ERRORS):
                log.exception("IPN %s cannot be rendered", nid)
            leases.settle(session, [claim], FAILED)
            error = PostResult(None, 0, error=f"cannot render: {exc}", reached=False)
            session.execute(_INSERT_ATTEMPTS, [_attempt(nid, now, url, error, FAILED.value)])
            out.append(None)
            continue
        new_messages.append(
            {
                "notification_id": nid,
                "message_id": rendered.message_id,
                "headers": rendered.headers,
                "body": rendered.body.decode("utf-8"),
                "created_at": now,
                "series_started_at": now,
                "series_attempts": 0,
            }
        )
        fault = (
            ipn_faults.decide(session, runtime.random, fault_rules, rows[nid], now, base)
            if fault_rules
            else None
        )
        if fault is not None and fault.kind in (ipn_faults.DROP, ipn_faults.DELAY):
            # Not posted now: dropped (failed, redeliverable) or due later on the merchant's clock.
            state = FAILED if fault.kind == ipn_faults.DROP else PENDING
            leases.settle(session, [claim], state, fault.due_at)
            held_back = PostResult(None, 0, error=fault.note, reached=False)
            outcome = "dropped" if fault.kind == ipn_faults.DROP else "delayed"
            session.execute(_INSERT_ATTEMPTS, [_attempt(nid, now, url, held_back, outcome)])
            out.append(None)
            continue
        sent = rendered.body if fault is None else ipn_faults.tampered(rendered.body, fault.kind)
        out.append(Prepared(url, dict(rendered.headers), sent, now))
    if new_messages:
        session.execute(_INSERT_MESSAGES, new_messages)
    return out


def _settle(runtime: Runtime, target: Target, posted: list[Posted], session: Session) -> None:
    """Settle each posted row its claim still holds, and log every attempt, in one transaction."""
    merchant, now = _merchant_now(runtime, session, target.merchant_id)
    settings = runtime.settings
    decisive = {
        p.claim.notification_id: next((r for r in p.results if r.acknowledged), p.results[-1])
        for p in posted
    }
    # Only rows to retry need their series (attempts so far, start); not the message bodies.
    unanswered = [nid for nid, result in decisive.items() if not result.acknowledged]
    series = (
        {
            nid: (attempts, started)
            for nid, attempts, started in session.execute(_SERIES, {"ids": unanswered})
        }
        if unanswered
        else {}
    )
    delivered: list[Claim] = []
    settled: set[int] = set()
    states: dict[int, DeliveryState] = {}
    for item in posted:
        result = decisive[item.claim.notification_id]
        next_attempt_at: datetime | None = None
        if result.acknowledged:
            state = DELIVERED
        elif retryable(result, merchant.ipn_retry_all):
            attempts, started = series[item.claim.notification_id]
            next_attempt_at = next_attempt(now, attempts, started, settings, runtime.random)
            state = PENDING if next_attempt_at is not None else FAILED
        else:
            state = FAILED
        states[item.claim.notification_id] = state
        if state == DELIVERED:
            delivered.append(item.claim)  # the common case: one statement for all of them
        else:
            settled |= leases.settle(session, [item.claim], state, next_attempt_at)
    settled |= leases.settle(session, delivered, DELIVERED, acknowledged_at=now)
    if settled:
        session.execute(_COUNT_ATTEMPTS, {"ids": list(settled)})
    session.execute(
        _INSERT_ATTEMPTS,
        [
            _attempt(
                item.claim.notification_id,
                item.prepared.attempted_at,
                item.prepared.url,
                result,
                _outcome(result, states[item.claim.notification_id]),
            )
            for item in posted
            for result in item.results
        ],
    )


def _attempt(
    notification_id: int, attempted_at: datetime, url: str, result: PostResult, outcome: str
) -> dict[str, Any]:
    """The attempt log's row for one post (or one failure to render).

    NUL is the one character PostgreSQL's text cannot hold; a receiver's answer (or an error
    quoting it) with one would fail the transaction that settles the row, leaving it to be
    claimed and posted again at every lease end, so it is logged as U+FFFD.
    """
    return {
        "notification_id": notification_id,
        "attempted_at": attempted_at,
        "url": url,
        "status_code": result.status_code,
        "latency_ms": result.latency_ms,
        "error": _storable(result.error),
        "response_snippet": _storable(result.snippet),
        "outcome": outcome,
    }


def _storable(text: str | None) -> str | None:
    return None if text is None else text.replace("\x00", "\N{REPLACEMENT CHARACTER}")


def _outcome(result: PostResult, state: DeliveryState) -> str:
    """An attempt's result: acknowledged, retry, failed, or ignored (its duplicate got the 2xx)."""
    if result.acknowledged:
        return "acknowledged"
    return {PENDING: "retry", FAILED: "failed"}.get(state, "ignored")
