"""The control plane's reads of API v2 objects: a merchant's checkouts, one checkout with all it
made. The ``gateway.store.listings`` of v2, which the JSON API, the dashboard and the CLI call
alike; keyset pages (``gateway.store.paging``), newest first.

A v2 "order" is a checkout session with what its completion made: the charge permission, its
charges, their refunds and disputes. It is found by any of their ids (a charge's and a refund's
start with their charge permission's, ``states.charge_permission_of``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from gateway.store.paging import Key, Page, page
from gateway.v2.models import V2Charge, V2ChargePermission, V2CheckoutSession, V2Dispute, V2Refund
from gateway.v2.states import charge_permission_of


@dataclass(frozen=True)
class Checkout:
    """A checkout session and what it made (the permission's charges newest last)."""

    session: V2CheckoutSession
    charge_permission: V2ChargePermission | None
    charges: list[V2Charge]
    refunds: list[V2Refund]
    disputes: list[V2Dispute]


def checkout_sessions(
    session: Session,
    merchant_id: int,
    *,
    states: Sequence[str] = (),
    search: str | None = None,
    cursor: str | None = None,
    limit: int,
) -> Page[V2CheckoutSession]:
    """A merchant's checkout sessions (with their charge permission loaded), newest first;
    ``search``: a checkout session's, charge permission's, charge's or refund's id."""
    statement = (
        select(V2CheckoutSession)
        .where(V2CheckoutSession.merchant_id == merchant_id)
        .options(selectinload(V2CheckoutSession.charge_permission))
    )
    if states:
        statement = statement.where(V2CheckoutSession.state.in_(states))
    if search:
        permission_ids = select(V2ChargePermission.id).where(
            V2ChargePermission.merchant_id == merchant_id,
            V2ChargePermission.amazon_id.in_({search, charge_permission_of(search)}),
        )
        statement = statement.where(
            or_(
                V2CheckoutSession.amazon_id == search,
                V2CheckoutSession.charge_permission_id.in_(permission_ids),
            )
        )
    return page(
        session,
        statement,
        Key((V2CheckoutSession.id,), (int,)),
        cursor=cursor,
        limit=limit,
        build=lambda row: row[0],
        key_of=lambda found: (found.id,),
    )


def checkout(session: Session, merchant_id: int, any_id: str) -> Checkout | None:
    """The checkout that ``any_id`` names: a checkout session's id, or its charge permission's,
    charge's or refund's."""
    found = session.scalar(
        select(V2CheckoutSession).where(
            V2CheckoutSession.merchant_id == merchant_id, V2CheckoutSession.amazon_id == any_id
        )
    )
    if found is None:
        found = session.scalar(
            select(V2CheckoutSession)
            .join(
                V2ChargePermission, V2CheckoutSession.charge_permission_id == V2ChargePermission.id
            )
            .where(
                V2CheckoutSession.merchant_id == merchant_id,
                V2ChargePermission.amazon_id.in_({any_id, charge_permission_of(any_id)}),
            )
        )
    if found is None:
        return None
    permission = found.charge_permission
    charges = list(permission.charges) if permission else []
    charge_ids = [charge.id for charge in charges]
    refunds = list(
        session.scalars(
            select(V2Refund).where(V2Refund.charge_id.in_(charge_ids)).order_by(V2Refund.id)
        )
    )
    disputes = list(
        session.scalars(
            select(V2Dispute).where(V2Dispute.charge_id.in_(charge_ids)).order_by(V2Dispute.id)
        )
    )
    return Checkout(found, permission, charges, refunds, disputes)
