"""A notification's delivery states and the claims and leases that move it between them.

Each outbox row is written ``pending`` (the column's default) with its state change, due at
``next_attempt_at`` in the merchant's simulated time; a worker's claim makes it ``in_flight``
until its lease ends (in base time); it ends ``delivered``, ``failed`` or ``no_endpoint``. Every
change of ``delivery_state`` is checked here against ``TRANSITIONS``, like every other lifecycle:
``change`` for a loaded row, ``check`` before a statement that moves many.

A row is claimed before it is posted by a compare-and-set that moves it to ``in_flight``, bumps
``attempt_count`` (the claim token) and sets ``next_attempt_at`` to a lease end. Leases are in
base (real) time, unlike retries: a frozen merchant clock must not keep a dead worker's claim
forever. Only the holder of the token renews or settles it; a row whose holder died becomes
claimable again when the lease ends, so nothing is lost (it may then be posted twice, as SNS
may). No Flask here.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Update, and_, bindparam, or_, select, tuple_, update
from sqlalchemy.orm import Session

from gateway.errors import InvalidStateTransition
from gateway.store.models import Notification


class DeliveryState(StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DELIVERED = "delivered"
    FAILED = "failed"
    NO_ENDPOINT = "no_endpoint"


_S = DeliveryState

#: Where a row may go from each state. A redelivery starts a new series from any state but a
#: running claim (``gateway.ipn.redelivery``); ``in_flight`` -> ``in_flight`` is a row claimed
#: again after its holder's lease ended; ``in_flight`` -> ``no_endpoint`` a row whose lease
#: ended while its merchant's endpoint was removed.
TRANSITIONS: Mapping[DeliveryState, frozenset[DeliveryState]] = {
    _S.PENDING: frozenset({_S.IN_FLIGHT, _S.NO_ENDPOINT, _S.PENDING}),
    _S.IN_FLIGHT: frozenset({_S.IN_FLIGHT, _S.PENDING, _S.DELIVERED, _S.FAILED, _S.NO_ENDPOINT}),
    _S.DELIVERED: frozenset({_S.PENDING}),
    _S.FAILED: frozenset({_S.PENDING}),
    _S.NO_ENDPOINT: frozenset({_S.PENDING}),
}
#: States a sweep claims rows in (pending ones when due, in_flight ones when their lease ended).
CLAIMABLE = (_S.PENDING, _S.IN_FLIGHT)


def check(current: Iterable[str], target: DeliveryState) -> None:
    """Raise unless ``TRANSITIONS`` allows every one of ``current`` -> ``target``."""
    for state in current:
        if target not in TRANSITIONS[DeliveryState(state)]:
            raise InvalidStateTransition(f"notification delivery: {state} -> {target}")


def change(row: Notification, target: DeliveryState, next_attempt_at: datetime | None) -> None:
    """Move one loaded row to ``target`` (checked), due again at ``next_attempt_at``."""
    check([row.delivery_state], target)
    row.delivery_state = target
    row.next_attempt_at = next_attempt_at


@dataclass(frozen=True, order=True)
class Claim:
    notification_id: int
    #: ``attempt_count`` after the claim: only its holder may settle the row.
    token: int


# The statements below are built once, their values bound per call (``due_now``...): they run
# for every delivery batch, and building one cost more than running it (as
# ``gateway.store.due``). A bound name is never a column's: an UPDATE would take that parameter
# as a value to SET.
#: Pending rows due by the merchant's now (``due_now``); in_flight rows whose lease ended by the
#: base time (``due_base``).
_DUE = (
    Notification.merchant_id == bindparam("due_merchant_id"),
    or_(
        and_(
            Notification.delivery_state == _S.PENDING,
            Notification.next_attempt_at <= bindparam("due_now"),
        ),
        and_(
            Notification.delivery_state == _S.IN_FLIGHT,
            Notification.next_attempt_at <= bindparam("due_base"),
        ),
    ),
)

_PARK = (
    update(Notification)
    .where(*_DUE)
    .values(delivery_state=_S.NO_ENDPOINT, next_attempt_at=None)
    .execution_options(synchronize_session=False)
)

_CLAIM = (
    update(Notification)
    .where(
        Notification.id.in_(
            select(Notification.id)
            .where(*_DUE)
            .order_by(Notification.id)
            .limit(bindparam("batch"))
            .scalar_subquery()
        ),
        *_DUE,
    )
    .values(
        delivery_state=_S.IN_FLIGHT,
        next_attempt_at=bindparam("lease_end"),
        attempt_count=Notification.attempt_count + 1,
    )
    .returning(Notification.id, Notification.attempt_count)
    .execution_options(synchronize_session=False)
)


def _due_params(merchant_id: int, now: datetime, base: datetime) -> dict[str, Any]:
    return {"due_merchant_id": merchant_id, "due_now": now, "due_base": base}


def park_without_endpoint(
    merchant_id: int, now: datetime, base: datetime, session: Session
) -> None:
    """Due rows of a merchant without an IPN URL become ``no_endpoint``."""
    check(CLAIMABLE, _S.NO_ENDPOINT)
    session.execute(_PARK, _due_params(merchant_id, now, base))


def claim(
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
    check(CLAIMABLE, _S.IN_FLIGHT)
    params = {**_due_params(merchant_id, now, base), "lease_end": lease_end, "batch": batch}
    claimed = session.execute(_CLAIM, params).all()
    return sorted(Claim(notification_id, token) for notification_id, token in claimed)


def renew(session: Session, claims: list[Claim], lease_end: datetime) -> set[int]:
    """Extend the leases the claims still hold; the ids of those rows."""
    return _held(session, claims, next_attempt_at=lease_end)


def settle(
    session: Session,
    claims: list[Claim],
    target: DeliveryState,
    next_attempt_at: datetime | None = None,
    **values: Any,
) -> set[int]:
    """Move the rows the claims still hold from in_flight to ``target``; the ids of those rows."""
    check([_S.IN_FLIGHT], target)
    return _held(session, claims, delivery_state=target, next_attempt_at=next_attempt_at, **values)


@functools.lru_cache(maxsize=16)
def _held_statement(columns: tuple[str, ...]) -> Update:
    """Set ``columns`` (bound as ``set_<column>``) on the rows the bound ``claims`` (id, token)
    pairs still hold, returning their ids. Built once per set of columns."""
    return (
        update(Notification)
        .where(
            tuple_(Notification.id, Notification.attempt_count).in_(
                bindparam("claims", expanding=True)
            ),
            Notification.delivery_state == _S.IN_FLIGHT,
        )
        .values({column: bindparam(f"set_{column}") for column in columns})
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    )


def _held(session: Session, claims: list[Claim], **values: Any) -> set[int]:
    """Change the rows the claims still hold (compare-and-set on each token); their ids."""
    if not claims:
        return set()
    columns = tuple(sorted(values))
    params = {f"set_{column}": values[column] for column in columns}
    params["claims"] = [(c.notification_id, c.token) for c in claims]
    return set(session.execute(_held_statement(columns), params).scalars())
