"""Exporting a merchant: its whole state as one JSON document, written as it is read.

``export_merchant`` yields the document in pieces from one read transaction (a consistent
snapshot), reading rows ``gateway.store.transfer.CHUNK`` at a time and forgetting each chunk
before the next, so memory holds one chunk of orders, not the merchant.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gateway.faults.specs import rule_document
from gateway.fps.models import FpsToken, FpsTransaction
from gateway.fps.store import account_of
from gateway.store import administration, transfer
from gateway.store.db import Database
from gateway.store.models import (
    Authorization,
    BillingAgreement,
    Capture,
    Dispute,
    FaultRule,
    LineItem,
    Merchant,
    Notification,
    NotificationAttempt,
    NotificationMessage,
    OrderAdministration,
    OrderReference,
    ReferenceId,
    Refund,
)
from gateway.transfer.document import FORMAT, MERCHANT_FIELDS, VERSION
from gateway.transfer.rows import as_json
from gateway.v2.models import V2Charge, V2ChargePermission, V2CheckoutSession, V2Dispute, V2Refund


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def merchant_json(session: Session, merchant: Merchant) -> dict[str, Any]:
    found = administration.preferences(session, merchant.id)
    out = {name: getattr(merchant, name) for name in MERCHANT_FIELDS}
    out = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in out.items()}
    out["refund_on_cancel"] = found.refund_on_cancel if found else "automatic"
    return out


def _grouped(rows: list[Any], key: str) -> dict[int, list[Any]]:
    groups: dict[int, list[Any]] = {}
    for row in rows:
        groups.setdefault(getattr(row, key), []).append(row)
    return groups


def _orders(session: Session, chunk: list[OrderReference]) -> list[dict[str, Any]]:
    ids = [o.id for o in chunk]
    auths = transfer.children(session, Authorization, "order_reference_id", ids)
    captures = transfer.children(session, Capture, "order_reference_id", ids)
    refunds = transfer.children(session, Refund, "order_reference_id", ids)
    disputes = transfer.children(session, Dispute, "order_reference_id", ids)
    lines = _grouped(
        transfer.children(session, LineItem, "order_reference_id", ids), "order_reference_id"
    )
    admins = {
        a.order_reference_id: a
        for a in transfer.children(session, OrderAdministration, "order_reference_id", ids)
    }
    agreements = {
        a.id: a.amazon_id
        for a in transfer.children(
            session,
            BillingAgreement,
            "id",
            [o.billing_agreement_id for o in chunk if o.billing_agreement_id],
        )
    }
    capture_ids = {c.id: c.amazon_id for c in captures}
    refund_ids = {r.id: r.amazon_id for r in refunds}
    refunds_of = _grouped(refunds, "capture_id")
    captures_of = _grouped(captures, "authorization_id")
    auths_of = _grouped(auths, "order_reference_id")
    disputes_of = _grouped(disputes, "order_reference_id")
    out = []
    for oro in chunk:
        admin = admins.get(oro.id)
        out.append(
            {
                **as_json(oro),
                "billing_agreement_id": agreements.get(oro.billing_agreement_id)
                if oro.billing_agreement_id
                else None,
                "line_items": [as_json(line) for line in lines.get(oro.id, [])],
                "administration": as_json(admin, exclude=("amazon_id",)) if admin else None,
                "authorizations": [
                    {
                        **as_json(auth),
                        "captures": [
                            {
                                **as_json(cap),
                                "refunds": [as_json(r) for r in refunds_of.get(cap.id, [])],
                            }
                            for cap in captures_of.get(auth.id, [])
                        ],
                    }
                    for auth in auths_of.get(oro.id, [])
                ],
                "disputes": [
                    {
                        **as_json(d),
                        "amazon_capture_id": capture_ids[d.capture_id],
                        "amazon_refund_id": refund_ids.get(d.refund_id) if d.refund_id else None,
                    }
                    for d in disputes_of.get(oro.id, [])
                ],
            }
        )
    return out


def _transactions(session: Session, chunk: list[FpsTransaction]) -> list[dict[str, Any]]:
    tokens = {
        t.id: t.amazon_id
        for t in transfer.children(
            session, FpsToken, "id", [t.sender_token_id for t in chunk if t.sender_token_id]
        )
    }
    originals = {
        t.id: t.amazon_id
        for t in transfer.children(
            session, FpsTransaction, "id", [t.original_id for t in chunk if t.original_id]
        )
    }
    return [
        {
            **as_json(t),
            "sender_token_id": tokens.get(t.sender_token_id) if t.sender_token_id else None,
            "original_transaction_id": originals.get(t.original_id) if t.original_id else None,
        }
        for t in chunk
    ]


def _v2_charge_permissions(
    session: Session, chunk: list[V2ChargePermission]
) -> list[dict[str, Any]]:
    charges = transfer.children(session, V2Charge, "charge_permission_id", [p.id for p in chunk])
    charge_ids = [c.id for c in charges]
    refunds = _grouped(transfer.children(session, V2Refund, "charge_id", charge_ids), "charge_id")
    disputes = _grouped(transfer.children(session, V2Dispute, "charge_id", charge_ids), "charge_id")
    charges_of = _grouped(charges, "charge_permission_id")
    return [
        {
            **as_json(permission),
            "charges": [
                {
                    **as_json(charge),
                    "refunds": [as_json(r) for r in refunds.get(charge.id, [])],
                    "disputes": [as_json(d) for d in disputes.get(charge.id, [])],
                }
                for charge in charges_of.get(permission.id, [])
            ],
        }
        for permission in chunk
    ]


def _v2_checkout_sessions(session: Session, chunk: list[V2CheckoutSession]) -> list[dict[str, Any]]:
    permissions = {
        p.id: p.amazon_id
        for p in transfer.children(
            session,
            V2ChargePermission,
            "id",
            [s.charge_permission_id for s in chunk if s.charge_permission_id],
        )
    }
    charges = {
        c.id: c.amazon_id
        for c in transfer.children(
            session, V2Charge, "id", [s.charge_id for s in chunk if s.charge_id]
        )
    }
    return [
        {
            **as_json(s),
            "charge_permission_id": permissions.get(s.charge_permission_id)
            if s.charge_permission_id
            else None,
            "charge_id": charges.get(s.charge_id) if s.charge_id else None,
        }
        for s in chunk
    ]


def _notifications(session: Session, chunk: list[Notification]) -> list[dict[str, Any]]:
    ids = [n.id for n in chunk]
    messages = {
        m.notification_id: m
        for m in transfer.children(session, NotificationMessage, "notification_id", ids)
    }
    attempts = _grouped(
        transfer.children(session, NotificationAttempt, "notification_id", ids), "notification_id"
    )
    return [
        {
            **as_json(n),
            "message": as_json(messages[n.id]) if n.id in messages else None,
            "attempts": [as_json(a) for a in attempts.get(n.id, [])],
        }
        for n in chunk
    ]


def _fault_rules(session: Session, chunk: list[FaultRule]) -> list[dict[str, Any]]:
    return [rule_document(rule) for rule in chunk]


def _plain(session: Session, chunk: list[Any]) -> list[dict[str, Any]]:
    return [as_json(row) for row in chunk]


#: The arrays of the document, in order: model and how a chunk of its rows is written.
ARRAYS: tuple[tuple[str, type[Any], Callable[[Session, list[Any]], list[dict[str, Any]]]], ...] = (
    ("billing_agreements", BillingAgreement, _plain),
    ("order_references", OrderReference, _orders),
    ("fps_tokens", FpsToken, _plain),
    ("fps_transactions", FpsTransaction, _transactions),
    ("v2_charge_permissions", V2ChargePermission, _v2_charge_permissions),
    ("v2_checkout_sessions", V2CheckoutSession, _v2_checkout_sessions),
    ("reference_ids", ReferenceId, _plain),
    ("notifications", Notification, _notifications),
    ("fault_rules", FaultRule, _fault_rules),
)


def export_merchant(db: Database, merchant_id: int, now: datetime) -> Iterator[str]:
    """The merchant's export document, in pieces (see ``gateway.transfer.document``)."""
    with db.session(write=False) as session:
        merchant = session.get_one(Merchant, merchant_id)
        account = account_of(session, merchant_id)
        head = {
            "format": FORMAT,
            "version": VERSION,
            "exported_at": now.isoformat(),
            "merchant": merchant_json(session, merchant),
            "fps_account": as_json(account) if account else None,
        }
        yield _dump(head)[:-1]
        for name, model, write in ARRAYS:
            yield f',"{name}":['
            first = True
            for chunk in transfer.chunks(session, model, merchant_id):
                for item in write(session, chunk):
                    yield ("" if first else ",") + _dump(item)
                    first = False
                session.expunge_all()
            yield "]"
        yield "}"
