"""Resetting a merchant or the whole sandbox. No Flask here.

A merchant's reset removes all its objects (order references and all they hold, disputes, FPS
tokens and transactions, API v2 checkout sessions, charge permissions, charges, refunds and
disputes, seller reference ids) and its notifications with their delivery history, and sets its clock back to real time, running; its keys, settings, preferences and FPS
fee schedule stay. The sandbox's reset does that to every merchant. (Their request journals,
kept apart, are cleared by ``gateway.wire.journal.Journal``.)
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.domain import clock_control
from gateway.store import merchants
from gateway.store.models import Merchant
from gateway.store.purge import purge_merchant


def reset_merchant(session: Session, merchant_id: int) -> None:
    purge_merchant(session, merchant_id)
    clock_control.reset(merchants.for_update(session, merchant_id))


def reset_sandbox(session: Session) -> int:
    """Reset every merchant; how many there are."""
    ids = list(session.scalars(select(Merchant.id).order_by(Merchant.id)))
    for merchant_id in ids:
        reset_merchant(session, merchant_id)
    return len(ids)
