"""Order administration, as a store operator does it in Seller Central. No Flask here.

Capture, refund in whole or in part up to Amazon's cap, cancel in whole or in part (by line items
or by an amount), close. Each runs on the same operations as the emulated API
(``gateway.domain.payments``, ``gateway.domain.order_references``), so every state change goes
through its transition table and writes its notification in the caller's transaction, exactly as
the API's calls would. Deleting an order is ``gateway.domain.deletion``.

Canceling: the order's value drops by what is canceled; what was not captured is released (open
authorizations beyond what is left to capture are reduced, or closed when nothing of them is
needed), and what the buyer paid beyond the order's new value is refunded: at once with the
merchant's ``refund_on_cancel`` setting ``automatic`` (the default), or left to the seller with
``manual``, the order then showing what is owed. UNCONFIRMED: Amazon Pay has no partial
cancellation (``CancelOrderReference`` refuses an order with captures [SRC:
reference/amazon-wire.md §1.7]); this is the sandbox's model of Seller Central's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gateway.domain.lifecycle import Context, created, transition
from gateway.domain.money import format_amount, parse_amount, refund_cap
from gateway.domain.order_references import cancel_order_reference, get_order_reference
from gateway.domain.order_references import close_order_reference as close_reference
from gateway.domain.payments import capture, refund
from gateway.domain.records import RefundRecord
from gateway.domain.refund_limits import MAX_REFUNDS_PER_CAPTURE
from gateway.domain.states import AdministrationState as M
from gateway.domain.states import AuthorizationState as A
from gateway.domain.states import CaptureState as C
from gateway.domain.states import OrderReferenceState as O
from gateway.errors import (
    CapturePending,
    CurrencyMismatch,
    InvalidParameterValue,
    NothingToCapture,
    NothingToRefund,
    OrderAlreadyCanceled,
    OrderDeleting,
    TransactionAmountExceeded,
    UnknownLineItem,
)
from gateway.store import administration as store
from gateway.store.models import (
    Capture,
    LineItem,
    MerchantPreferences,
    OrderAdministration,
    OrderReference,
)

AUTOMATIC, MANUAL = "automatic", "manual"
REFUND_ON_CANCEL = (AUTOMATIC, MANUAL)
#: Captures whose money has reached the merchant (refundable once Completed).
CAPTURED = (C.PENDING, C.COMPLETED, C.CLOSED)


# --- preferences -------------------------------------------------------------------------------


def refund_on_cancel(ctx: Context) -> str:
    """The merchant's setting: ``automatic`` (default) or ``manual``."""
    found = store.preferences(ctx.session, ctx.merchant.id)
    return AUTOMATIC if found is None else found.refund_on_cancel


def set_refund_on_cancel(ctx: Context, value: str) -> None:
    if value not in REFUND_ON_CANCEL:
        raise InvalidParameterValue(
            f"refund_on_cancel must be one of {', '.join(REFUND_ON_CANCEL)}."
        )
    found = store.preferences(ctx.session, ctx.merchant.id)
    if found is None:
        ctx.session.add(MerchantPreferences(merchant_id=ctx.merchant.id, refund_on_cancel=value))
    else:
        found.refund_on_cancel = value


# --- what an order holds -----------------------------------------------------------------------


@dataclass(frozen=True)
class CaptureRoom:
    """How much more a capture may be refunded: up to what was captured, and up to Amazon's cap
    (captured amount plus the lesser of 15 % or 75 in the currency; 8,400 JPY)."""

    capture: Capture
    principal_minor: int
    cap_minor: int


@dataclass(frozen=True)
class Refundable:
    """The most the order can still be refunded, in all and per Completed capture."""

    currency: str | None
    #: Up to the amounts captured (what a cancellation refunds at most).
    principal_minor: int
    #: Up to Amazon's cap (what a refund may reach, to compensate a buyer).
    total_minor: int
    rooms: tuple[CaptureRoom, ...]


def captures_of(oro: OrderReference) -> list[Capture]:
    return [cap for auth in oro.authorizations for cap in auth.captures]


def refundable(oro: OrderReference) -> Refundable:
    """What ``oro`` can still be refunded: a Completed capture with fewer than ten refunds may
    reach its cap, less what its refunds (Pending or Completed) already count."""
    rooms = []
    for cap in captures_of(oro):
        if cap.state != C.COMPLETED or cap.refund_count >= MAX_REFUNDS_PER_CAPTURE:
            continue
        reserved = cap.refund_reserved_minor
        rooms.append(
            CaptureRoom(
                cap,
                max(cap.amount_minor - reserved, 0),
                max(refund_cap(cap.amount_minor, cap.currency) - reserved, 0),
            )
        )
    return Refundable(
        oro.currency,
        sum(r.principal_minor for r in rooms),
        sum(r.cap_minor for r in rooms),
        tuple(rooms),
    )


def captured_minor(oro: OrderReference) -> int:
    """Money captured on the order (Completed, Closed or still Pending captures)."""
    return sum(cap.amount_minor for cap in captures_of(oro) if cap.state in CAPTURED)


def refunded_minor(oro: OrderReference) -> int:
    """Refunds of the order that are Pending or Completed (seller's, A-to-z or chargeback)."""
    return sum(cap.refund_reserved_minor for cap in captures_of(oro))


def owed_minor(oro: OrderReference, admin: OrderAdministration | None) -> int:
    """What cancellations left the seller to refund by hand and was not refunded yet."""
    if admin is None:
        return 0
    return max(admin.refund_target_minor - refunded_minor(oro), 0)


def payment_status(oro: OrderReference, admin: OrderAdministration | None = None) -> str:
    """The order's payment status at a glance, as Seller Central shows it: Draft, Open,
    Authorized, Captured, Completed, PartiallyRefunded, Refunded, Canceled, Closed, Declined.

    Derived from Amazon's objects: Completed is captured and the order reference closed;
    refunds count once Completed; Canceled is an order reference Canceled, or an order the
    seller canceled in whole (whose captured money was then refunded).
    """
    if oro.state == O.DRAFT:
        return "Draft"
    if oro.state == O.CANCELED or (admin is not None and admin.canceled_at is not None):
        return "Canceled"
    captures = [cap for cap in captures_of(oro) if cap.state in (C.COMPLETED, C.CLOSED)]
    captured = sum(cap.amount_minor for cap in captures)
    if captured:
        refunded = sum(cap.refunded_minor for cap in captures)
        if refunded >= captured:
            return "Refunded"
        if refunded:
            return "PartiallyRefunded"
        return "Completed" if oro.state == O.CLOSED else "Captured"
    if oro.state == O.CLOSED:
        return "Closed"
    auths = oro.authorizations
    if any(a.state in (A.OPEN, A.PENDING) for a in auths):
        return "Authorized"
    if auths and auths[-1].state == A.DECLINED:
        return "Declined"
    return "Open"


# --- the administration row --------------------------------------------------------------------


def administration_of(ctx: Context, oro: OrderReference) -> OrderAdministration | None:
    return store.administration(ctx.session, oro.id)


def ensure_administration(ctx: Context, oro: OrderReference) -> OrderAdministration:
    """The order's administration row, made (Active) on first use."""
    admin = store.administration(ctx.session, oro.id)
    if admin is None:
        admin = OrderAdministration(
            amazon_id=oro.amazon_id,
            merchant_id=ctx.merchant.id,
            order_reference_id=oro.id,
            state=M.ACTIVE,
            canceled_minor=0,
            refund_target_minor=0,
            created_at=ctx.now,
        )
        created(ctx, admin)
    return admin


def _check_not_deleting(admin: OrderAdministration | None, oro: OrderReference) -> None:
    if admin is not None and admin.state != M.ACTIVE:
        raise OrderDeleting(f"Order {oro.amazon_id} is being deleted.")


def _reference_id(ctx: Context, prefix: str) -> str:
    """A seller reference id for an action of the sandbox (at most 32 characters, as Amazon's)."""
    return f"{prefix}-{ctx.ids.token(16).lower()}"


# --- capture and refund ------------------------------------------------------------------------


def capture_order(
    ctx: Context,
    amazon_order_reference_id: str,
    *,
    amazon_authorization_id: str | None = None,
    amount: str | None = None,
    seller_note: str | None = None,
) -> Capture:
    """Capture an open authorization of the order (the only one, or the one named), in whole
    or ``amount`` of it, through the Capture operation."""
    oro = get_order_reference(ctx, amazon_order_reference_id)
    _check_not_deleting(administration_of(ctx, oro), oro)
    open_auths = [a for a in oro.authorizations if a.state == A.OPEN]
    if amazon_authorization_id is not None:
        open_auths = [a for a in open_auths if a.amazon_id == amazon_authorization_id]
        if not open_auths:
            raise NothingToCapture(
                f"Order {oro.amazon_id} has no open authorization {amazon_authorization_id}."
            )
    if not open_auths:
        raise NothingToCapture(f"Order {oro.amazon_id} has no open authorization to capture.")
    if len(open_auths) > 1:
        raise InvalidParameterValue(
            f"Order {oro.amazon_id} has {len(open_auths)} open authorizations: "
            "name one with amazon_authorization_id."
        )
    auth = open_auths[0]
    text = amount if amount is not None else format_amount(auth.amount_minor, auth.currency)
    return capture(
        ctx,
        auth.amazon_id,
        _reference_id(ctx, "capture"),
        text,
        auth.currency,
        seller_note=seller_note,
    )


def refund_order(
    ctx: Context,
    amazon_order_reference_id: str,
    amount: str,
    *,
    amazon_capture_id: str | None = None,
    seller_note: str | None = None,
) -> list[RefundRecord]:
    """Refund ``amount`` of the order through the Refund operation, up to Amazon's cap.

    Named a capture, it is refunded alone; else the amount is spread over the Completed
    captures, first up to what each captured, then into each one's over-cap.
    """
    oro = get_order_reference(ctx, amazon_order_reference_id)
    room = refundable(oro)
    if room.currency is None or not room.rooms:
        raise NothingToRefund(f"Order {oro.amazon_id} has no Completed capture to refund.")
    amount_minor = parse_amount(amount, room.currency, "amount")
    rooms = list(room.rooms)
    if amazon_capture_id is not None:
        rooms = [r for r in rooms if r.capture.amazon_id == amazon_capture_id]
        if not rooms:
            raise NothingToRefund(
                f"Order {oro.amazon_id} has no refundable Completed capture {amazon_capture_id}."
            )
    limit = sum(r.cap_minor for r in rooms)
    if amount_minor > limit:
        raise TransactionAmountExceeded(
            f"The refund amount {amount} {room.currency} exceeds what order {oro.amazon_id} can "
            f"still be refunded: {format_amount(limit, room.currency)} {room.currency} (captured "
            "amounts plus the lesser of 15% or 75, less refunds already requested)."
        )
    return _refund_spread(ctx, rooms, amount_minor, seller_note, over_cap=True)


def _refund_spread(
    ctx: Context,
    rooms: list[CaptureRoom],
    amount_minor: int,
    seller_note: str | None,
    *,
    over_cap: bool,
) -> list[RefundRecord]:
    shares: dict[int, int] = {}
    left = amount_minor
    for key in ("principal_minor", "cap_minor") if over_cap else ("principal_minor",):
        for i, r in enumerate(rooms):
            take = min(left, getattr(r, key) - shares.get(i, 0))
            if take > 0:
                shares[i] = shares.get(i, 0) + take
                left -= take
    made = []
    for i, share in sorted(shares.items()):
        cap = rooms[i].capture
        made.append(
            refund(
                ctx,
                cap.amazon_id,
                _reference_id(ctx, "refund"),
                format_amount(share, cap.currency),
                cap.currency,
                seller_note=seller_note,
            )
        )
        # The Refund operation counts the amount with a statement: the loaded capture is stale.
        ctx.session.expire(cap)
    return made


# --- cancel and close --------------------------------------------------------------------------


@dataclass
class Cancellation:
    """What a cancellation did."""

    order: OrderReference
    whole: bool
    currency: str | None
    canceled_minor: int
    #: Authorized but uncaptured money no longer held.
    released_minor: int
    #: What the buyer paid beyond the order's new value.
    refund_due_minor: int
    refunds: list[RefundRecord] = field(default_factory=list)
    #: Left to be refunded by hand (``manual``), all cancellations of the order together.
    owed_minor: int = 0
    closed_authorizations: list[str] = field(default_factory=list)


def _items_value(
    ctx: Context, oro: OrderReference, wanted: list[dict[str, Any]]
) -> tuple[int, list[tuple[LineItem, int]]]:
    lines = store.line_items(ctx.session, oro.id)
    by_position = {line.position: line for line in lines}
    by_sku = {line.sku: line for line in lines}
    picked: list[tuple[LineItem, int]] = []
    for n, want in enumerate(wanted):
        line = (
            by_position.get(want["position"])
            if "position" in want
            else by_sku.get(want.get("sku", ""))
        )
        if line is None:
            key = (
                f"position {want['position']}" if "position" in want else f"sku {want.get('sku')!r}"
            )
            raise UnknownLineItem(
                f"line_items[{n}]: order {oro.amazon_id} has no line item with {key}."
            )
        if line.currency != oro.currency:
            raise CurrencyMismatch(
                f"line_items[{n}]: the item's currency {line.currency} is not the order's "
                f"{oro.currency}."
            )
        left = line.quantity - line.canceled_quantity - sum(q for ln, q in picked if ln is line)
        quantity = want.get("quantity", left)
        if not 1 <= quantity <= left:
            raise InvalidParameterValue(
                f"line_items[{n}].quantity must be 1 to {left} (the uncanceled quantity of "
                f"{line.sku})."
            )
        picked.append((line, quantity))
    return sum(line.unit_price_minor * q for line, q in picked), picked


def cancel_order(
    ctx: Context,
    amazon_order_reference_id: str,
    *,
    amount: str | None = None,
    line_items: list[dict[str, Any]] | None = None,
    reason: str | None = None,
) -> Cancellation:
    """Cancel the order in whole (no ``amount`` nor ``line_items``) or in part."""
    oro = get_order_reference(ctx, amazon_order_reference_id)
    admin = administration_of(ctx, oro)
    _check_not_deleting(admin, oro)
    if oro.state == O.CANCELED or (admin is not None and admin.canceled_at is not None):
        raise OrderAlreadyCanceled(f"Order {oro.amazon_id} is canceled already.")
    if amount is not None and line_items is not None:
        raise InvalidParameterValue("Give amount or line_items, not both.")
    remaining = oro.amount_minor or 0
    picked: list[tuple[LineItem, int]] = []
    if line_items is not None:
        value, picked = _items_value(ctx, oro, line_items)
    elif amount is not None:
        if oro.currency is None:
            raise InvalidParameterValue(f"Order {oro.amazon_id} has no amount to cancel from.")
        value = parse_amount(amount, oro.currency, "amount")
    else:
        value = remaining
    if value > remaining:
        raise TransactionAmountExceeded(
            f"Canceling {format_amount(value, oro.currency or 'USD')} {oro.currency} exceeds what "
            f"remains of order {oro.amazon_id}: {format_amount(remaining, oro.currency or 'USD')} "
            f"{oro.currency}."
        )
    whole = value == remaining
    return _cancel(ctx, oro, admin, value, whole, picked, reason)


def _cancel(
    ctx: Context,
    oro: OrderReference,
    admin: OrderAdministration | None,
    value: int,
    whole: bool,
    picked: list[tuple[LineItem, int]],
    reason: str | None,
) -> Cancellation:
    pending = [cap for cap in captures_of(oro) if cap.state == C.PENDING]
    if pending:
        raise CapturePending(
            f"Capture {pending[0].amazon_id} of order {oro.amazon_id} is Pending: advance the "
            "clock until it completes, then cancel."
        )
    captured = captured_minor(oro)
    refunded = max(refunded_minor(oro), admin.refund_target_minor if admin else 0)
    new_value = 0 if whole else (oro.amount_minor or 0) - value
    # The buyer ends up having paid no more than the order's new value.
    refund_due = max(captured - refunded - new_value, 0)
    result = Cancellation(oro, whole, oro.currency, value, 0, refund_due)
    # Release: open authorizations hold at most what is left to capture.
    open_auths = [a for a in oro.authorizations if a.state in (A.PENDING, A.OPEN)]
    excess = sum(a.amount_minor for a in open_auths) - max(new_value - captured, 0)
    result.released_minor = max(excess, 0)
    if whole and not captured and oro.state in (O.DRAFT, O.OPEN, O.SUSPENDED):
        # Nothing was charged: Amazon's own cancellation (its authorizations close with it).
        result.closed_authorizations = [a.amazon_id for a in open_auths]
        cancel_order_reference(ctx, oro.amazon_id, reason)
    else:
        for auth in reversed(open_auths):
            if excess <= 0:
                break
            if auth.amount_minor <= excess:
                excess -= auth.amount_minor
                transition(ctx, auth, A.CLOSED, "SellerClosed", reason)
                result.closed_authorizations.append(auth.amazon_id)
            else:
                # UNCONFIRMED: Amazon cannot lower an authorization; the sandbox shows the part
                # still held as its amount.
                auth.amount_minor -= excess
                auth.last_update = ctx.now
                excess = 0
        if whole and oro.state in (O.OPEN, O.SUSPENDED):
            transition(ctx, oro, O.CLOSED, "SellerClosed", reason or "Canceled by the seller")
    if not whole:
        oro.amount_minor = new_value
        oro.last_update = ctx.now
    for line, quantity in picked:
        line.canceled_quantity += quantity
    if whole:
        for line in store.line_items(ctx.session, oro.id):
            line.canceled_quantity = line.quantity
    admin = admin or ensure_administration(ctx, oro)
    admin.canceled_minor += value
    admin.last_update = ctx.now
    if whole:
        admin.canceled_at = ctx.now
    if refund_due:
        if refund_on_cancel(ctx) == AUTOMATIC:
            rooms = list(refundable(oro).rooms)
            if sum(r.principal_minor for r in rooms) < refund_due:
                raise NothingToRefund(
                    f"Order {oro.amazon_id} cannot refund {format_amount(refund_due, oro.currency or 'USD')}"
                    f" {oro.currency}: its captures have no more refundable room (ten refunds each "
                    "at most)."
                )
            result.refunds = _refund_spread(ctx, rooms, refund_due, reason, over_cap=False)
        else:
            admin.refund_target_minor = refunded + refund_due
    result.owed_minor = owed_minor(oro, admin)
    return result


def close_order(
    ctx: Context, amazon_order_reference_id: str, reason: str | None = None
) -> OrderReference:
    """Close the order reference (CloseOrderReference): no new authorizations; open ones stay
    capturable and refunds stay possible."""
    oro = get_order_reference(ctx, amazon_order_reference_id)
    _check_not_deleting(administration_of(ctx, oro), oro)
    return close_reference(ctx, oro.amazon_id, reason)
