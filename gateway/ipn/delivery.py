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
dead worker's claim forever. Only the holder of the token settles it; a row whose holder died
becomes claimable again when the lease ends, so nothing is lost (it may then be posted twice,
as SNS may). Posts run on the process's ``Dispatcher`` pool, one merchant at a time per thread.
No Flask here.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, cast

import requests
from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.orm import Session

from gateway.config import Settings
from gateway.domain.merchants import now_for
from gateway.ipn import notification_data  # noqa: F401  (registers the Amazon Pay types)
from gateway.ipn.dispatcher import Dispatcher, dispatcher_for
from gateway.ipn.envelope import NoRenderer, RenderContext, render
from gateway.ipn.keys import SigningKey, ensure_signing_key
from gateway.ipn.notification_data import NotifiedObjectMissing
from gateway.runtime import Runtime
from gateway.store.models import Merchant, Notification, NotificationAttempt, NotificationMessage
from gateway.worker.jobs import AFTER_SWEEP

log = logging.getLogger(__name__)

PENDING, IN_FLIGHT, DELIVERED = "pending", "in_flight", "delivered"
FAILED, NO_ENDPOINT = "failed", "no_endpoint"
CLAIMABLE = (PENDING, IN_FLIGHT)

#: (connect, read) seconds for one post (STYLE 7.11).
TIMEOUT = (3, 10)
#: Rows one merchant's batch claims at most per sweep.
BATCH_SIZE = 100
#: How much of a receiver's answer an attempt keeps.
SNIPPET_BYTES = 500


@dataclass(frozen=True)
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

    Returns how many rows were claimed. The scheduler's sweep does not wait for the posts (a
    hanging receiver must not hold up the next sweep); ``wait=True`` (tests) blocks until every
    batch of this process is done, including ones started earlier.
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
        now = now_for(merchant, base)
        if not merchant.ipn_url:
            runtime.db.run(partial(_park_without_endpoint, merchant.id, now, base))
            continue
        if not pool.reserve(merchant.id):
            continue  # its previous batch is still going out here
        lease_end = base + timedelta(seconds=runtime.settings.ipn_claim_lease_seconds)
        try:
            claims = runtime.db.run(partial(_claim, merchant.id, now, base, lease_end, batch))
        except Exception:
            pool.release(merchant.id)
            raise
        if not claims:
            pool.release(merchant.id)
            continue
        target = Target(merchant.id, merchant.ipn_url, merchant.ipn_duplicate, merchant.ipn_reorder)
        pool.submit(merchant.id, _deliver_batch, runtime, target, claims)
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


def _claim(
    merchant_id: int,
    now: datetime,
    base: datetime,
    lease_end: datetime,
    batch: int,
    session: Session,
) -> list[Claim]:
    """Compare-and-set each due row to in_flight; rows another worker took are skipped."""
    rows = session.execute(
        select(Notification.id, Notification.attempt_count)
        .where(*_due(merchant_id, now, base))
        .order_by(Notification.id)
        .limit(batch)
    ).all()
    claims = []
    for notification_id, count in rows:
        result = session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.attempt_count == count)
            .where(*_due(merchant_id, now, base))
            .values(delivery_state=IN_FLIGHT, next_attempt_at=lease_end, attempt_count=count + 1)
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult[Any], result).rowcount == 1:
            claims.append(Claim(notification_id, count + 1))
    return claims


def _deliver_batch(runtime: Runtime, target: Target, claims: list[Claim]) -> None:
    # ipn_reorder: the batch goes out newest first, to test receivers against reordering.
    for claim in reversed(claims) if target.reorder else claims:
        try:
            deliver_claimed(runtime, target, claim)
        except Exception:
            # The row stays in_flight until its lease ends, and is then claimed again.
            log.exception("IPN delivery of notification %s failed", claim.notification_id)


def deliver_claimed(runtime: Runtime, target: Target, claim: Claim) -> None:
    """Post one claimed notification (twice with ipn_duplicate) and settle it."""
    prepared = runtime.db.run(partial(_prepare, runtime, target, claim))
    if prepared is None:
        return
    results = [post(prepared) for _ in range(2 if target.duplicate else 1)]
    runtime.db.run(partial(_settle, runtime, claim, prepared, results))
    dispatcher(runtime).changed()


def _merchant_now(runtime: Runtime, session: Session, row: Notification) -> tuple[Merchant, Any]:
    merchant = session.get_one(Merchant, row.merchant_id)
    return merchant, now_for(merchant, runtime.clock.now())


def _prepare(runtime: Runtime, target: Target, claim: Claim, session: Session) -> Prepared | None:
    """Renew the claim's lease and load (or render once and store) what to send."""
    row = session.get_one(Notification, claim.notification_id)
    merchant, now = _merchant_now(runtime, session, row)
    lease_end = runtime.clock.now() + timedelta(seconds=runtime.settings.ipn_claim_lease_seconds)
    if not _settle_row(session, claim, next_attempt_at=lease_end, delivery_state=IN_FLIGHT):
        return None  # the lease ran out and another worker took the row
    message = session.scalar(
        select(NotificationMessage).where(NotificationMessage.notification_id == row.id)
    )
    url = merchant.ipn_url or target.url
    if message is None:
        try:
            out = render(
                RenderContext(
                    session,
                    row,
                    merchant,
                    now,
                    signing_key(runtime),
                    runtime.settings.resolved_public_url,
                )
            )
        except (NoRenderer, NotifiedObjectMissing) as exc:
            # Not something a retry can fix: record why and give up on the row.
            _settle_row(session, claim, delivery_state=FAILED, next_attempt_at=None)
            session.add(
                NotificationAttempt(
                    notification_id=row.id,
                    attempted_at=now,
                    url=url,
                    error=f"cannot render: {exc}",
                    outcome=FAILED,
                )
            )
            return None
        message = NotificationMessage(
            notification_id=row.id,
            message_id=out.message_id,
            headers=out.headers,
            body=out.body.decode("utf-8"),
            created_at=now,
            series_started_at=now,
            series_attempts=0,
        )
        session.add(message)
    return Prepared(url, dict(message.headers), message.body.encode("utf-8"), now)


def post(prepared: Prepared) -> PostResult:
    """One HTTP post; never raises for network trouble (it is the attempt's result)."""
    start = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - start) * 1000)

    try:
        response = requests.post(
            prepared.url,
            data=prepared.body,
            headers=prepared.headers,
            timeout=TIMEOUT,
            allow_redirects=False,
            stream=True,
        )
        with response:
            head = next(response.iter_content(SNIPPET_BYTES), b"")
        snippet = head[:SNIPPET_BYTES].decode("utf-8", "replace")
        return PostResult(response.status_code, elapsed(), snippet=snippet)
    except requests.ConnectionError as exc:  # includes connect timeouts
        return PostResult(None, elapsed(), error=f"unreachable: {exc}", reached=False)
    except requests.Timeout as exc:
        return PostResult(None, elapsed(), error=f"timeout: {exc}")
    except requests.RequestException as exc:
        return PostResult(None, elapsed(), error=f"{type(exc).__name__}: {exc}", reached=False)


def _settle_row(session: Session, claim: Claim, **values: Any) -> bool:
    """Change the row only if the claim still holds it (compare-and-set on the token)."""
    result = session.execute(
        update(Notification)
        .where(
            Notification.id == claim.notification_id,
            Notification.attempt_count == claim.token,
            Notification.delivery_state == IN_FLIGHT,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1


def _settle(
    runtime: Runtime,
    claim: Claim,
    prepared: Prepared,
    results: list[PostResult],
    session: Session,
) -> str:
    row = session.get_one(Notification, claim.notification_id)
    merchant, now = _merchant_now(runtime, session, row)
    message = session.scalars(
        select(NotificationMessage).where(NotificationMessage.notification_id == row.id)
    ).one()
    settings = runtime.settings
    decisive = next((r for r in results if r.acknowledged), results[-1])
    next_attempt_at: datetime | None = None
    if decisive.acknowledged:
        state = DELIVERED
    elif retryable(decisive, merchant.ipn_retry_all):
        retry = message.series_attempts + 1
        next_attempt_at = now + retry_delay(retry, settings)
        horizon = message.series_started_at + timedelta(seconds=settings.ipn_retry_horizon_seconds)
        state = PENDING if next_attempt_at <= horizon else FAILED
        if state == FAILED:
            next_attempt_at = None
    else:
        state = FAILED
    values: dict[str, Any] = {"delivery_state": state, "next_attempt_at": next_attempt_at}
    if state == DELIVERED:
        values["acknowledged_at"] = now
    if _settle_row(session, claim, **values):
        message.series_attempts += 1
    for result in results:
        session.add(
            NotificationAttempt(
                notification_id=row.id,
                attempted_at=prepared.attempted_at,
                url=prepared.url,
                status_code=result.status_code,
                latency_ms=result.latency_ms,
                error=result.error,
                response_snippet=result.snippet,
                outcome=_outcome(result, state),
            )
        )
    return state


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
