"""API v2 queries: a merchant's checkout sessions, charge permissions, charges, refunds, disputes.

The ``gateway.store`` of the v2 tables. A write locks what it reads (``for_update``: ``SELECT ...
FOR UPDATE`` on PostgreSQL), a charge's or refund's charge permission first, so every write on one
charge permission's objects takes the same first lock (as v1's order reference,
``gateway.store.owned``) and concurrent writes wait instead of losing their compare-and-set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from gateway.v2.models import V2Charge, V2ChargePermission, V2CheckoutSession, V2Dispute, V2Refund

Query = TypeVar("Query", bound=Select[Any])
Model = TypeVar("Model", V2CheckoutSession, V2ChargePermission, V2Charge, V2Refund, V2Dispute)


def _locked(query: Query) -> Query:
    # populate_existing: the locked row's values replace any this transaction loaded before.
    return query.with_for_update().execution_options(populate_existing=True)


def _by_amazon_id(
    session: Session, model: type[Model], merchant_id: int, amazon_id: str, for_update: bool
) -> Model | None:
    query = select(model).where(model.amazon_id == amazon_id, model.merchant_id == merchant_id)
    found: Model | None = session.scalar(_locked(query) if for_update else query)
    return found


def checkout_session(
    session: Session, merchant_id: int, amazon_id: str, *, for_update: bool = False
) -> V2CheckoutSession | None:
    return _by_amazon_id(session, V2CheckoutSession, merchant_id, amazon_id, for_update)


def charge_permission(
    session: Session, merchant_id: int, amazon_id: str, *, for_update: bool = False
) -> V2ChargePermission | None:
    return _by_amazon_id(session, V2ChargePermission, merchant_id, amazon_id, for_update)


def charge(
    session: Session, merchant_id: int, amazon_id: str, *, for_update: bool = False
) -> V2Charge | None:
    """The merchant's charge; ``for_update`` locks its charge permission, then it."""
    if for_update:
        session.execute(
            select(V2ChargePermission.id)
            .join(V2Charge, V2Charge.charge_permission_id == V2ChargePermission.id)
            .where(V2Charge.amazon_id == amazon_id, V2Charge.merchant_id == merchant_id)
            .with_for_update(of=V2ChargePermission)
        )
    return _by_amazon_id(session, V2Charge, merchant_id, amazon_id, for_update)


def refund(session: Session, merchant_id: int, amazon_id: str) -> V2Refund | None:
    return _by_amazon_id(session, V2Refund, merchant_id, amazon_id, False)


def dispute(
    session: Session, merchant_id: int, amazon_id: str, *, for_update: bool = False
) -> V2Dispute | None:
    return _by_amazon_id(session, V2Dispute, merchant_id, amazon_id, for_update)


def charge_disputed(session: Session, charge_id: int, states: Sequence[str]) -> bool:
    """Whether the charge has a dispute in one of ``states``."""
    found = session.scalar(
        select(V2Dispute.id)
        .where(V2Dispute.charge_id == charge_id, V2Dispute.state.in_(states))
        .limit(1)
    )
    return found is not None


def captured_charges(session: Session, charge_permission_id: int) -> list[V2Charge]:
    """The Captured charges of a charge permission, newest last (disputes name the latest)."""
    return list(
        session.scalars(
            select(V2Charge)
            .where(V2Charge.charge_permission_id == charge_permission_id)
            .where(V2Charge.state == "Captured")
            .order_by(V2Charge.id)
        )
    )


def checkout_session_owner(session: Session, amazon_id: str) -> int | None:
    """The merchant (row id) whose checkout session ``amazon_id`` is: the hosted buyer pages
    know the session only (its id is unique across merchants, a UUID)."""
    found: int | None = session.scalar(
        select(V2CheckoutSession.merchant_id).where(V2CheckoutSession.amazon_id == amazon_id)
    )
    return found
