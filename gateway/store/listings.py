"""The lists of the sandbox control plane: merchants, and one merchant's orders, authorizations,
captures, refunds, disputes and notifications, filtered and paged (``gateway.store.paging``).
No Flask here: the JSON API and the dashboard call these alike.

Each list reads one page of rows with one statement (plus one for what the page's rows need
from elsewhere: an order's captured and refunded amounts), so its cost depends on the page size
and not on how many rows the merchant has. Orders are ordered by ``(created_at, id)`` (the
merchant's clock, so a date range is an index range); the other lists by ``id``, the order the
rows were made in. The indexes that make this fast are declared on the models
(``ix_order_references_merchant_*``, ``ix_notifications_merchant_state``; the other tables'
``merchant_id`` index, which SQLite keeps in rowid order within a merchant).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, null, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session, aliased

from gateway.domain.money import CURRENCY_EXPONENTS
from gateway.domain.records import MerchantRecord
from gateway.store.merchants import record_columns
from gateway.store.models import (
    ApiToken,
    Authorization,
    Capture,
    Dispute,
    Merchant,
    Notification,
    NotificationAttempt,
    NotificationMessage,
    OrderReference,
    Refund,
)
from gateway.store.paging import AnySelect, Key, Page, page

#: Capture states whose money was taken from the buyer.
CAPTURED_STATES = ("Completed", "Closed")
#: The shape of an Amazon id of an order reference's objects: the order reference id is its
#: first 19 characters ("S01-1234567-1234567", then "-A…", "-C…", "-R…").
ORDER_ID_LENGTH = 19

_BY_ID = Key((Merchant.id,), (int,))


# --- merchants -----------------------------------------------------------------------------------


def merchants(
    session: Session,
    *,
    search: str | None = None,
    only_id: int | None = None,
    cursor: str | None = None,
    limit: int,
) -> Page[MerchantRecord]:
    """Merchants, newest first; ``search`` is a part of the seller id, name or store name
    (any case); ``only_id`` keeps one merchant (a merchant token sees only its own)."""
    statement = select(*record_columns())
    if search:
        pattern = f"%{_escape_like(search.lower())}%"
        statement = statement.where(
            or_(
                *(
                    func.lower(column).like(pattern, escape="\\")
                    for column in (Merchant.seller_id, Merchant.name, Merchant.store_name)
                )
            )
        )
    if only_id is not None:
        statement = statement.where(Merchant.id == only_id)
    return page(
        session,
        statement,
        _BY_ID,
        cursor=cursor,
        limit=limit,
        build=_merchant,
        key_of=lambda merchant: (merchant.id,),
    )


def api_tokens(
    session: Session, merchant_id: int, *, cursor: str | None = None, limit: int
) -> Page[ApiToken]:
    """A merchant's control-API tokens (digests, never the tokens), newest first."""
    return page(
        session,
        select(ApiToken).where(ApiToken.merchant_id == merchant_id),
        Key((ApiToken.id,), (int,)),
        cursor=cursor,
        limit=limit,
        build=lambda row: row[0],
        key_of=lambda token: (token.id,),
    )


def _merchant(row: Any) -> MerchantRecord:
    return MerchantRecord(*row)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- orders --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderRow:
    """An order reference as its merchant's order list shows it."""

    id: int
    amazon_id: str
    state: str
    reason_code: str | None
    currency: str | None
    amount_minor: int | None
    seller_order_id: str | None
    buyer_name: str | None
    created_at: datetime
    last_update: datetime
    #: Money taken by Completed (or since Closed) captures, and given back by Completed refunds.
    captured_minor: int
    refunded_minor: int


@dataclass(frozen=True)
class AmountRange:
    """An order total's bounds in major units of its currency (either may be None)."""

    least: Decimal | None = None
    most: Decimal | None = None


_ORDER_KEY = Key((OrderReference.created_at, OrderReference.id), (datetime, int))


def orders(
    session: Session,
    merchant_id: int,
    *,
    states: Sequence[str] = (),
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    amount: AmountRange | None = None,
    search: str | None = None,
    cursor: str | None = None,
    limit: int,
) -> Page[OrderRow]:
    """A merchant's order references, newest first (by their ``created_at``).

    ``created_from`` is inclusive and ``created_to`` exclusive; ``amount`` bounds the order
    total, each currency in its own minor units; ``search`` is an Amazon id of the order or of
    one of its authorizations, captures or refunds, or the seller's order id, exactly.
    """
    o = OrderReference
    statement = select(
        o.id,
        o.amazon_id,
        o.state,
        o.reason_code,
        o.currency,
        o.amount_minor,
        o.seller_order_id,
        o.buyer,
        o.created_at,
        o.last_update,
    ).where(o.merchant_id == merchant_id)
    if states:
        statement = statement.where(o.state.in_(states))
    if created_from is not None:
        statement = statement.where(o.created_at >= created_from)
    if created_to is not None:
        statement = statement.where(o.created_at < created_to)
    if amount is not None:
        statement = statement.where(_amount_between(o, amount))
    if search:
        # The matching orders first, each by an index (an Amazon id is unique, a seller order id
        # indexed per merchant): left in the one statement, an OR of the two made SQLite walk
        # the merchant's whole date index instead (100 ms for 100,000 orders, against 1 ms).
        statement = statement.where(o.id.in_(_order_ids_matching(session, merchant_id, search)))
    rows = page(
        session,
        statement,
        _ORDER_KEY,
        cursor=cursor,
        limit=limit,
        build=lambda row: row,
        key_of=lambda row: (row.created_at, row.id),
    )
    money = _captured_and_refunded(session, [row.id for row in rows.items])
    return Page([_order_row(row, *money.get(row.id, (0, 0))) for row in rows.items], rows.next)


def _order_row(row: Row[Any], captured: int, refunded: int) -> OrderRow:
    buyer = row.buyer if isinstance(row.buyer, dict) else {}
    return OrderRow(
        id=row.id,
        amazon_id=row.amazon_id,
        state=row.state,
        reason_code=row.reason_code,
        currency=row.currency,
        amount_minor=row.amount_minor,
        seller_order_id=row.seller_order_id,
        buyer_name=buyer.get("name"),
        created_at=row.created_at,
        last_update=row.last_update,
        captured_minor=captured,
        refunded_minor=refunded,
    )


def _amount_between(o: type[OrderReference], bounds: AmountRange) -> ColumnElement[bool]:
    """The total within ``bounds``, compared in each currency's own minor units (JPY has none)."""
    by_exponent: dict[int, list[str]] = {}
    for currency, exponent in CURRENCY_EXPONENTS.items():
        by_exponent.setdefault(exponent, []).append(currency)
    alternatives = []
    for exponent, currencies in by_exponent.items():
        conditions: list[ColumnElement[bool]] = [o.currency.in_(currencies)]
        if bounds.least is not None:
            conditions.append(o.amount_minor >= _ceil(bounds.least * 10**exponent))
        if bounds.most is not None:
            conditions.append(o.amount_minor <= _floor(bounds.most * 10**exponent))
        alternatives.append(and_(*conditions))
    return or_(*alternatives)


def _ceil(value: Decimal) -> int:
    return int(value.to_integral_value(rounding="ROUND_CEILING"))


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding="ROUND_FLOOR"))


def _order_ids_matching(session: Session, merchant_id: int, text: str) -> list[int]:
    o = OrderReference
    text = text.strip()
    by_amazon_id = select(o.id).where(
        o.amazon_id == text[:ORDER_ID_LENGTH], o.merchant_id == merchant_id
    )
    by_seller_order_id = select(o.id).where(o.merchant_id == merchant_id, o.seller_order_id == text)
    found = {*session.scalars(by_amazon_id), *session.scalars(by_seller_order_id)}
    return sorted(found)


def _captured_and_refunded(session: Session, order_ids: list[int]) -> dict[int, tuple[int, int]]:
    if not order_ids:
        return {}
    captured = func.sum(case((Capture.state.in_(CAPTURED_STATES), Capture.amount_minor), else_=0))
    statement = (
        select(Capture.order_reference_id, captured, func.sum(Capture.refunded_minor))
        .where(Capture.order_reference_id.in_(order_ids))
        .group_by(Capture.order_reference_id)
    )
    return {
        order_id: (int(taken or 0), int(given_back or 0))
        for order_id, taken, given_back in session.execute(statement)
    }


# --- authorizations, captures, refunds -----------------------------------------------------------


_Payment = type[Authorization] | type[Capture] | type[Refund]


@dataclass(frozen=True, slots=True)
class PaymentRow:
    """An authorization, capture or refund as a list shows it. ``settled_minor`` is what an
    authorization has captured, what a capture has refunded; None for a refund."""

    id: int
    kind: str
    amazon_id: str
    amazon_order_reference_id: str
    #: The capture a refund belongs to, the authorization a capture belongs to; None otherwise.
    parent_amazon_id: str | None
    reference_id: str
    state: str
    reason_code: str | None
    currency: str
    amount_minor: int
    settled_minor: int | None
    refund_type: str | None
    created_at: datetime
    last_update: datetime


@dataclass(frozen=True)
class _PaymentKind:
    name: str
    model: _Payment
    #: The object it belongs to (below its order reference) and the column pointing at it.
    parent: type[Authorization] | type[Capture] | None
    parent_column: str | None
    #: What ``PaymentRow.settled_minor`` shows of it.
    settled_column: str | None


#: The payment kinds a list is of, by ``PaymentRow.kind``.
PAYMENT_KINDS = {
    kind.name: kind
    for kind in (
        _PaymentKind("Authorization", Authorization, None, None, "captured_minor"),
        _PaymentKind("Capture", Capture, Authorization, "authorization_id", "refunded_minor"),
        _PaymentKind("Refund", Refund, Capture, "capture_id", None),
    )
}


def payments(
    session: Session,
    kind: str,
    merchant_id: int,
    *,
    states: Sequence[str] = (),
    order_id: str | None = None,
    parent_id: str | None = None,
    cursor: str | None = None,
    limit: int,
) -> Page[PaymentRow]:
    """A merchant's authorizations, captures or refunds (``kind``), newest first; of one order
    reference if ``order_id``, of one authorization or capture if ``parent_id`` (the capture a
    refund belongs to, the authorization a capture belongs to)."""
    return _payments(
        session, PAYMENT_KINDS[kind], merchant_id, states, order_id, parent_id, cursor, limit
    )


def _payments(
    session: Session,
    kind: _PaymentKind,
    merchant_id: int,
    states: Sequence[str],
    order_id: str | None,
    parent_id: str | None,
    cursor: str | None,
    limit: int,
) -> Page[PaymentRow]:
    model = kind.model
    parent = aliased(kind.parent) if kind.parent is not None else None
    statement: AnySelect = select(
        model.id,
        model.amazon_id,
        OrderReference.amazon_id.label("order_amazon_id"),
        (parent.amazon_id if parent is not None else null()).label("parent_amazon_id"),
        model.reference_id,
        model.state,
        model.reason_code,
        model.currency,
        model.amount_minor,
        (getattr(model, kind.settled_column) if kind.settled_column else null()).label("settled"),
        (Refund.refund_type if model is Refund else null()).label("refund_type"),
        model.created_at,
        model.last_update,
    ).join(OrderReference, OrderReference.id == model.order_reference_id)
    if parent is not None and kind.parent_column is not None:
        statement = statement.join(parent, parent.id == getattr(model, kind.parent_column))
    statement = statement.where(model.merchant_id == merchant_id)
    if states:
        statement = statement.where(model.state.in_(states))
    if order_id:
        statement = statement.where(OrderReference.amazon_id == order_id)
    if parent_id and parent is not None:
        statement = statement.where(parent.amazon_id == parent_id)
    return page(
        session,
        statement,
        Key((model.id,), (int,)),
        cursor=cursor,
        limit=limit,
        build=lambda row: PaymentRow(
            row.id,
            kind.name,
            row.amazon_id,
            row.order_amazon_id,
            row.parent_amazon_id,
            row.reference_id,
            row.state,
            row.reason_code,
            row.currency,
            row.amount_minor,
            row.settled,
            row.refund_type,
            row.created_at,
            row.last_update,
        ),
        key_of=lambda row: (row.id,),
    )


# --- disputes and notifications ------------------------------------------------------------------


def disputes(
    session: Session,
    merchant_id: int,
    *,
    states: Sequence[str] = (),
    dispute_type: str | None = None,
    cursor: str | None = None,
    limit: int,
) -> Page[Dispute]:
    """A merchant's disputes (ORM rows, with their order and capture), newest first."""
    statement = select(Dispute).where(Dispute.merchant_id == merchant_id)
    if states:
        statement = statement.where(Dispute.state.in_(states))
    if dispute_type:
        statement = statement.where(Dispute.dispute_type == dispute_type)
    return page(
        session,
        statement,
        Key((Dispute.id,), (int,)),
        cursor=cursor,
        limit=limit,
        build=lambda row: row[0],
        key_of=lambda dispute: (dispute.id,),
    )


@dataclass(frozen=True)
class NotificationEntry:
    """A notification with its delivery attempts (newest first) and its message, if rendered."""

    notification: Notification
    attempts: list[NotificationAttempt]
    message: NotificationMessage | None


def notifications(
    session: Session,
    merchant_id: int,
    *,
    delivery_states: Sequence[str] = (),
    notification_type: str | None = None,
    object_id: str | None = None,
    cursor: str | None = None,
    limit: int,
) -> Page[NotificationEntry]:
    """A merchant's notifications, newest first, each with its attempts and message."""
    n = Notification
    statement = select(n).where(n.merchant_id == merchant_id)
    if delivery_states:
        statement = statement.where(n.delivery_state.in_(delivery_states))
    if notification_type:
        statement = statement.where(n.notification_type == notification_type)
    if object_id:
        statement = statement.where(n.object_id == object_id)
    rows = page(
        session,
        statement,
        Key((n.id,), (int,)),
        cursor=cursor,
        limit=limit,
        build=lambda row: row[0],
        key_of=lambda row: (row.id,),
    )
    return Page(notification_entries(session, rows.items), rows.next)


def notification_entries(session: Session, rows: Sequence[Notification]) -> list[NotificationEntry]:
    """Each notification's attempts and message, read for all of ``rows`` at once."""
    ids = [row.id for row in rows]
    attempts: dict[int, list[NotificationAttempt]] = {i: [] for i in ids}
    messages: dict[int, NotificationMessage] = {}
    if ids:
        for attempt in session.scalars(
            select(NotificationAttempt)
            .where(NotificationAttempt.notification_id.in_(ids))
            .order_by(NotificationAttempt.id.desc())
        ):
            attempts[attempt.notification_id].append(attempt)
        for message in session.scalars(
            select(NotificationMessage).where(NotificationMessage.notification_id.in_(ids))
        ):
            messages[message.notification_id] = message
    return [NotificationEntry(row, attempts[row.id], messages.get(row.id)) for row in rows]
