"""IPN delivery: find due notifications, claim them, post them, record every attempt, retry.

The rules, after Amazon's [SRC: reference/amazon-wire.md §2.5], in the merchant's simulated time:
- a 2xx answer ends it: ``delivered``, ``acknowledged_at`` set;
- any other answer (3xx, 5xx) or a read timeout is retried with exponential backoff and jitter
  (``Settings.ipn_retry_*``) until the horizon after the first attempt, then ``failed``;
- a 4xx answer or an unreachable endpoint (connection refused, DNS, connect timeout, connection
  dropped without an answer) is not retried: ``failed``, unless the merchant's
  ``ipn_retry_all`` is on, which retries those too. UNCONFIRMED: how Amazon classes a dropped
  connection and a read timeout; here: dropped = unreachable, read timeout = retried;
- a merchant without ``ipn_url``: due rows become ``no_endpoint`` and stay so when a URL is set
  later (Amazon does not replay old notifications to a new endpoint); ``redeliver`` sends one.

Concurrency: a row is claimed before it is posted by a compare-and-set that moves it to
``in_flight``, bumps ``attempt_count`` (the claim token) and sets ``next_attempt_at`` to a lease
end. Leases are in base (real) time, unlike retries: a frozen merchant clock must not keep a
dead worker's claim forever. Only the holder of the token renews or settles it; a row whose
holder died becomes claimable again when the lease ends, so nothing is lost (it may then be
posted twice, as SNS may). Posts run on the process's ``Dispatcher`` pool, one merchant at a
time per thread, over a keep-alive connection.

Throughput: the bookkeeping is batched, not per row. A merchant's batch is claimed in one
statement; it then goes out in chunks, each one transaction that renews the chunk's leases and
loads or renders its messages, the posts, and one transaction that settles the chunk and logs
all its attempts. Every compare-and-set is still per row (each row's own token). No Flask here.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, cast

from sqlalchemy import and_, insert, or_, select, tuple_, update
from sqlalchemy.orm import Session
from urllib3 import BaseHTTPResponse, Timeout
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)

from gateway.config import Settings
from gateway.domain.merchants import now_for
from gateway.ipn import notification_data  # noqa: F401  (registers the Amazon Pay types)
from gateway.ipn.dispatcher import Dispatcher, Work, dispatcher_for
from gateway.ipn.envelope import NoRenderer, RenderContext, render
from gateway.ipn.keys import SigningKey, ensure_signing_key
from gateway.ipn.notification_data import NotifiedObjectMissing, prefetch
from gateway.ipn.transport import Transport
from gateway.runtime import Runtime
from gateway.store.models import Merchant, Notification, NotificationAttempt, NotificationMessage
from gateway.worker.jobs import AFTER_SWEEP

log = logging.getLogger(__name__)

PENDING, IN_FLIGHT, DELIVERED = "pending", "in_flight", "delivered"
FAILED, NO_ENDPOINT = "failed", "no_endpoint"
CLAIMABLE = (PENDING, IN_FLIGHT)

#: Connect and read seconds for one post (STYLE 7.11).
TIMEOUT = Timeout(connect=3, read=10)
#: Rows one merchant's batch claims at most (one claim transaction).
BATCH_SIZE = 100
#: Rows of a batch prepared, posted and settled together (one transaction before the posts, one
#: after). Rendering happens in the first, under SQLite's write lock, so it stays moderate.
CHUNK_SIZE = 50
#: Posts are settled together at most this long after the first of them: a slow receiver's
#: rows do not wait for the whole chunk to show as delivered (or to wake the wait endpoint).
SETTLE_AFTER_SECONDS = 0.05
#: How much of a receiver's answer an attempt keeps.
SNIPPET_BYTES = 500
#: An answer with at most this much left after the snippet is read to its end, so its
#: connection can be reused; a longer one closes the connection instead.
DRAIN_BYTES = 64 * 1024


@dataclass(frozen=True, order=True)
class Claim:
    notification_id: int
    #: ``attempt_count`` after the claim: only its holder may settle the row.
    token: int


@dataclass(frozen=True)
class Target:
    """The merchant settings a batch was claimed under."""

    merchant_id: int
    url: str
    duplicate: bool
    reorder: bool


@dataclass(frozen=True)
class Prepared:
    url: str
    headers: dict[str, str]
    body: bytes
    attempted_at: datetime


@dataclass(frozen=True)
class PostResult:
    status_code: int | None
    latency_ms: int
    error: str | None = None
    snippet: str | None = None
    #: False when the endpoint could not be reached at all.
    reached: bool = True

    @property
    def acknowledged(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class Posted:
    """A claimed row and what came of posting it (twice with ipn_duplicate)."""

    claim: Claim
    prepared: Prepared
    results: list[PostResult]


# --- per-process services ------------------------------------------------------------------------


def signing_key(runtime: Runtime) -> SigningKey:
    key = runtime.services.get("ipn.key")
    if key is None:
        key = runtime.services.setdefault("ipn.key", ensure_signing_key(runtime.settings.data_dir))
    return cast(SigningKey, key)


def dispatcher(runtime: Runtime) -> Dispatcher:
    return dispatcher_for(runtime.services, runtime.settings.ipn_delivery_threads)


# --- policy --------------------------------------------------------------------------------------


def retry_delay(retry: int, settings: Settings) -> timedelta:
    """Wait before the ``retry``-th retry: doubling from the base, capped, plus 0-25 % jitter."""
    seconds = min(
        settings.ipn_retry_base_seconds * 2 ** min(retry - 1, 60),
        settings.ipn_retry_max_interval_seconds,
    )
    return timedelta(seconds=seconds * (1 + 0.25 * random.random()))


def retryable(result: PostResult, retry_all: bool) -> bool:
    """Amazon retries other answers, not 4xx nor an unreachable endpoint (module docstring)."""
    if retry_all:
        return True
    if result.status_code is None:
        return result.reached
    return not 400 <= result.status_code < 500


# --- the sweep -----------------------------------------------------------------------------------


def deliver_due(runtime: Runtime, *, wait: bool = False, batch: int = BATCH_SIZE) -> int:
    """Claim every due notification and hand each merchant's batch to the pool.

    Returns how many rows were claimed (first batches only: a merchant whose batch was full
    claims its next one on the pool when it is done). The scheduler's sweep does not wait for
    the posts (a hanging receiver must not hold up the next sweep); ``wait=True`` (tests) blocks
    until every batch of this process is done, including ones started earlier.
    """
    pool = dispatcher(runtime)
    base = runtime.clock.now()
    with runtime.db.session(write=False) as session:
        merchants = list(
            session.scalars(
                select(Merchant)
                .where(
                    Merchant.id.in_(
                        select(Notification.merchant_id)
                        .where(Notification.delivery_state.in_(CLAIMABLE))
                        .distinct()
                    )
                )
                .order_by(Merchant.id)
            )
        )
    claimed = 0
    for merchant in merchants:
        if not merchant.ipn_url:
            now = now_for(merchant, base)
            runtime.db.run(partial(_park_without_endpoint, merchant.id, now, base))
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


def _due(merchant_id: int, now: datetime, base: datetime) -> Any:
    """Pending rows due by the merchant's ``now``; in_flight rows whose lease ended by ``base``."""
    return (
        Notification.merchant_id == merchant_id,
        or_(
            and_(Notification.delivery_state == PENDING, Notification.next_attempt_at <= now),
            and_(Notification.delivery_state == IN_FLIGHT, Notification.next_attempt_at <= base),
        ),
    )


def _park_without_endpoint(
    merchant_id: int, now: datetime, base: datetime, session: Session
) -> None:
    session.execute(
        update(Notification)
        .where(*_due(merchant_id, now, base))
        .values(delivery_state=NO_ENDPOINT, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )


def _claim_batch(
    runtime: Runtime, merchant_id: int, batch: int, session: Session
) -> tuple[Target | None, list[Claim]]:
    """The merchant's settings now and its next claimed batch (none without an endpoint)."""
    merchant = session.get_one(Merchant, merchant_id)
    if not merchant.ipn_url:
        return None, []  # the next sweep parks its rows
    base = runtime.clock.now()
    lease_end = base + timedelta(seconds=runtime.settings.ipn_claim_lease_seconds)
    claims = _claim(merchant_id, now_for(merchant, base), base, lease_end, batch, session)
    target = Target(merchant.id, merchant.ipn_url, merchant.ipn_duplicate, merchant.ipn_reorder)
    return target, claims


def _claim(
    merchant_id: int,
    now: datetime,
    base: datetime,
    lease_end: datetime,
    batch: int,
    session: Session,
) -> list[Claim]:
    """Compare-and-set the first ``batch`` due rows to in_flight in one statement.

    The due condition is re-checked by the UPDATE itself, so a row another worker took between
    the select and the update is not matched (on PostgreSQL the UPDATE re-evaluates it on the
    row version that worker committed); each claimed row's new ``attempt_count`` is its token.
    """
    first_due = (
        select(Notification.id)
        .where(*_due(merchant_id, now, base))
        .order_by(Notification.id)
        .limit(batch)
    )
    claimed = session.execute(
        update(Notification)
        .where(Notification.id.in_(first_due.scalar_subquery()), *_due(merchant_id, now, base))
        .values(
            delivery_state=IN_FLIGHT,
            next_attempt_at=lease_end,
            attempt_count=Notification.attempt_count + 1,
        )
        .returning(Notification.id, Notification.attempt_count)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted(Claim(notification_id, token) for notification_id, token in claimed)


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
    pool = dispatcher(runtime)
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
            except Exception:
                log.exception("IPN delivery of notification %s failed", claim.notification_id)
                continue  # its lease ends and it is claimed again
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
        dispatcher(runtime).changed()


def _next_batch(runtime: Runtime, merchant_id: int, batch: int) -> Work | None:
    """Claim and deliver the merchant's next batch while it still holds its slot."""
    target, claims = runtime.db.run(partial(_claim_batch, runtime, merchant_id, batch))
    if target is None or not claims:
        return None
    return _deliver_batch(runtime, target, claims, batch)


def _merchant_now(runtime: Runtime, session: Session, merchant_id: int) -> tuple[Merchant, Any]:
    merchant = session.get_one(Merchant, merchant_id)
    return merchant, now_for(merchant, runtime.clock.now())


def _held(session: Session, claims: list[Claim], **values: Any) -> set[int]:
    """Change the rows the claims still hold (compare-and-set on each token); their ids."""
    if not claims:
        return set()
    result = session.execute(
        update(Notification)
        .where(
            tuple_(Notification.id, Notification.attempt_count).in_(
                [(c.notification_id, c.token) for c in claims]
            ),
            Notification.delivery_state == IN_FLIGHT,
        )
        .values(**values)
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    )
    return set(result.scalars())


def _prepare(
    runtime: Runtime, target: Target, claims: list[Claim], session: Session
) -> list[Prepared | None]:
    """Renew the claims' leases and load (or render once and store) what to send, per claim;
    None for a row the claim no longer holds or that cannot be rendered."""
    merchant, now = _merchant_now(runtime, session, target.merchant_id)
    lease_end = runtime.clock.now() + timedelta(seconds=runtime.settings.ipn_claim_lease_seconds)
    held = _held(session, claims, next_attempt_at=lease_end)
    stored = {
        m.notification_id: m
        for m in session.scalars(
            select(NotificationMessage).where(NotificationMessage.notification_id.in_(held))
        )
    }
    to_render = held - stored.keys()
    rows = (
        {
            r.id: r
            for r in session.scalars(select(Notification).where(Notification.id.in_(to_render)))
        }
        if to_render
        else {}
    )
    prefetch(session, rows.values())
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
                RenderContext(
                    session,
                    rows[nid],
                    merchant,
                    now,
                    signing_key(runtime),
                    runtime.settings.resolved_public_url,
                    sent_at=runtime.clock.now(),
                )
            )
        except (NoRenderer, NotifiedObjectMissing) as exc:
            # Not something a retry can fix: record why and give up on the row.
            _held(session, [claim], delivery_state=FAILED, next_attempt_at=None)
            session.add(
                NotificationAttempt(
                    notification_id=nid,
                    attempted_at=now,
                    url=url,
                    error=f"cannot render: {exc}",
                    outcome=FAILED,
                )
            )
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
        out.append(Prepared(url, dict(rendered.headers), rendered.body, now))
    if new_messages:
        session.execute(insert(NotificationMessage), new_messages)
    return out


def post(http: Transport, prepared: Prepared) -> PostResult:
    """One HTTP post; never raises for network trouble (it is the attempt's result)."""
    start = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - start) * 1000)

    try:
        response = http.post(prepared.url, prepared.body, prepared.headers, TIMEOUT)
        try:
            head = _read_answer(response)
        finally:
            response.release_conn()
        snippet = head[:SNIPPET_BYTES].decode("utf-8", "replace")
        return PostResult(response.status, elapsed(), snippet=snippet)
    except ConnectTimeoutError as exc:  # also refused, DNS (NewConnectionError subclasses it)
        return PostResult(None, elapsed(), error=f"unreachable: {exc}", reached=False)
    except ReadTimeoutError as exc:
        return PostResult(None, elapsed(), error=f"timeout: {exc}")
    except (ProtocolError, SSLError, ProxyError) as exc:  # dropped, TLS, proxy trouble
        return PostResult(None, elapsed(), error=f"unreachable: {exc}", reached=False)
    except HTTPError as exc:
        return PostResult(None, elapsed(), error=f"{type(exc).__name__}: {exc}", reached=False)


def _read_answer(response: BaseHTTPResponse) -> bytes:
    """The answer's first bytes. A short rest is read too, so the connection goes back to the
    pool for the next post; a long or unsized one is not (the connection is closed)."""
    head = response.read(SNIPPET_BYTES)
    remaining = response.length_remaining
    if remaining is not None and remaining <= DRAIN_BYTES:
        response.drain_conn()
    else:
        response.close()
    return head


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
            for nid, attempts, started in session.execute(
                select(
                    NotificationMessage.notification_id,
                    NotificationMessage.series_attempts,
                    NotificationMessage.series_started_at,
                ).where(NotificationMessage.notification_id.in_(unanswered))
            )
        }
        if unanswered
        else {}
    )
    delivered: list[Claim] = []
    settled: set[int] = set()
    states: dict[int, str] = {}
    for item in posted:
        result = decisive[item.claim.notification_id]
        next_attempt_at: datetime | None = None
        if result.acknowledged:
            state = DELIVERED
        elif retryable(result, merchant.ipn_retry_all):
            attempts, started = series[item.claim.notification_id]
            next_attempt_at = now + retry_delay(attempts + 1, settings)
            horizon = started + timedelta(seconds=settings.ipn_retry_horizon_seconds)
            state = PENDING if next_attempt_at <= horizon else FAILED
            if state == FAILED:
                next_attempt_at = None
        else:
            state = FAILED
        states[item.claim.notification_id] = state
        if state == DELIVERED:
            delivered.append(item.claim)  # the common case: one statement for all of them
        else:
            settled |= _held(
                session, [item.claim], delivery_state=state, next_attempt_at=next_attempt_at
            )
    settled |= _held(
        session, delivered, delivery_state=DELIVERED, next_attempt_at=None, acknowledged_at=now
    )
    if settled:
        session.execute(
            update(NotificationMessage)
            .where(NotificationMessage.notification_id.in_(settled))
            .values(series_attempts=NotificationMessage.series_attempts + 1)
            .execution_options(synchronize_session=False)
        )
    session.execute(
        insert(NotificationAttempt),
        [
            {
                "notification_id": item.claim.notification_id,
                "attempted_at": item.prepared.attempted_at,
                "url": item.prepared.url,
                "status_code": result.status_code,
                "latency_ms": result.latency_ms,
                "error": result.error,
                "response_snippet": result.snippet,
                "outcome": _outcome(result, states[item.claim.notification_id]),
            }
            for item in posted
            for result in item.results
        ],
    )


def _outcome(result: PostResult, state: str) -> str:
    """An attempt's result: acknowledged, retry, failed, or ignored (its duplicate got the 2xx)."""
    if result.acknowledged:
        return "acknowledged"
    return {PENDING: "retry", FAILED: FAILED}.get(state, "ignored")


# --- sandbox operations --------------------------------------------------------------------------


class NotificationInFlight(Exception):
    """A redelivery was asked for while the notification is being posted."""


def redeliver(session: Session, row: Notification, now: datetime, base: datetime) -> None:
    """Queue a new delivery series of the same message (same MessageId), due at the merchant's
    ``now``; refused while a worker's lease on it runs (``base``: the base clock's now)."""
    if row.delivery_state == IN_FLIGHT and row.next_attempt_at and row.next_attempt_at > base:
        raise NotificationInFlight(f"notification {row.id} is being delivered")
    row.delivery_state = PENDING
    row.next_attempt_at = now
    message = session.scalar(
        select(NotificationMessage).where(NotificationMessage.notification_id == row.id)
    )
    if message is not None:
        message.series_started_at = now
        message.series_attempts = 0


# Every scheduler sweep delivers what is due (gateway.worker.jobs imports this module).
if deliver_due not in AFTER_SWEEP:
    AFTER_SWEEP.append(deliver_due)
