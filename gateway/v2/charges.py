"""Charges: Create, Get, Update, Capture and Cancel, and how a pending charge settles.

Rules [SRC: reference/amazon-pay-v2.md §2-3; developer.amazon.com/docs/amazon-pay-api-v2/
charge.html]: a charge is made on a Chargeable charge permission within its ``amountBalance``
and in its currency (at most 150,000 per charge, 10,000,000 JPY: ``money.maximum_amount``). It is
Authorized (Captured with ``captureNow``), or AuthorizationInitiated when the authorization is
pending (the merchant said it ``canHandlePendingAuthorization``), settled later on the
merchant's clock; it can be captured (at most its amount) while Authorized and not expired, and
canceled until captured. An Authorized charge not captured within the authorization's lifetime
(30 days live, 2 in the sandbox: v1's rule, ``payments.authorization_lifetime``) is
Canceled/ExpiredUnused. Every check runs before anything changes. No Flask here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from gateway.domain.lifecycle import Context, created, plan, transition
from gateway.domain.money import format_amount
from gateway.domain.payments import DEFAULT_SIMULATED_EXPIRY_MINUTES, authorization_lifetime
from gateway.registry import DueKind
from gateway.v2 import charge_permissions, simulation, store
from gateway.v2.charge_permissions import merge_metadata, record_capture, release
from gateway.v2.errors import (
    InvalidChargePermissionStatus,
    InvalidChargeStatus,
    InvalidParameterCombination,
    InvalidParameterValue,
    ResourceNotFound,
    TransactionAmountExceeded,
)
from gateway.v2.models import V2Charge, V2ChargePermission
from gateway.v2.prices import check_currency, parse_price
from gateway.v2.states import ChargePermissionState as P
from gateway.v2.states import ChargeState as C

#: The sandbox's pending authorizations settle after 30 seconds (sandbox-simulations.html:
#: cards …0701 and …4354 "move to Authorized/Declined after 30 seconds").
PENDING_DELAY = timedelta(seconds=30)
#: A softDescriptor's most characters (charge.html).
SOFT_DESCRIPTOR_LENGTH = 16
#: A pending outcome: the state (and reason) the charge moves to when it settles.
Outcome = tuple[str, str | None]


def get_charge(ctx: Context, amazon_id: str, *, for_update: bool = False) -> V2Charge:
    found = store.charge(ctx.session, ctx.merchant.id, amazon_id, for_update=for_update)
    if found is None:
        raise ResourceNotFound(f"The charge {amazon_id} does not exist.")
    return found


def check_soft_descriptor(value: str | None) -> str | None:
    if value is not None and len(value) > SOFT_DESCRIPTOR_LENGTH:
        raise InvalidParameterValue(
            f"softDescriptor {value!r} is longer than {SOFT_DESCRIPTOR_LENGTH} characters."
        )
    return value


def create_charge(
    ctx: Context, body: Mapping[str, Any], simulation_code: str | None = None
) -> V2Charge:
    """``POST charges``."""
    code = simulation.parse(simulation_code, "CreateCharge", live=ctx.live)
    permission = charge_permissions.get(ctx, body["chargePermissionId"], for_update=True)
    amount_minor, currency = parse_price(body["chargeAmount"], "chargeAmount")
    check_currency(currency, permission.currency, "chargeAmount", permission.amazon_id)
    can_handle_pending = bool(body.get("canHandlePendingAuthorization", False))
    if code == "AuthorizationInitiated" and not can_handle_pending:
        raise InvalidParameterCombination(
            "The simulation AuthorizationInitiated needs canHandlePendingAuthorization true."
        )
    pending: Outcome | None = (C.AUTHORIZED, None) if code == "AuthorizationInitiated" else None
    return new_charge(
        ctx,
        permission,
        amount_minor,
        capture_now=bool(body.get("captureNow", False)),
        can_handle_pending=can_handle_pending,
        soft_descriptor=check_soft_descriptor(body.get("softDescriptor")),
        merchant_metadata=body.get("merchantMetadata") or {},
        provider_metadata=body.get("providerMetadata") or {},
        declined=code if code in simulation.DECLINES else None,
        pending=pending,
        expires_in=(
            timedelta(minutes=DEFAULT_SIMULATED_EXPIRY_MINUTES) if code == "ExpiredUnused" else None
        ),
    )


def new_charge(
    ctx: Context,
    permission: V2ChargePermission,
    amount_minor: int,
    *,
    capture_now: bool,
    can_handle_pending: bool,
    soft_descriptor: str | None,
    merchant_metadata: Mapping[str, Any],
    provider_metadata: Mapping[str, Any],
    declined: str | None = None,
    pending: Outcome | None = None,
    expires_in: timedelta | None = None,
) -> V2Charge:
    """A charge on ``permission`` (Create Charge, or a completing checkout session): declined
    with reason ``declined``, pending until it settles to ``pending``, or at once."""
    if permission.state != P.CHARGEABLE:
        detail = f"/{permission.reason_code}" if permission.reason_code else ""
        raise InvalidChargePermissionStatus(
            f"The charge permission {permission.amazon_id} is {permission.state}{detail}; "
            "a charge needs a Chargeable one."
        )
    balance = permission.amount_limit_minor - permission.charged_minor
    if amount_minor > balance:
        raise TransactionAmountExceeded(
            f"The charge amount exceeds the amountBalance of charge permission "
            f"{permission.amazon_id}: {format_amount(max(balance, 0), permission.currency)} "
            f"{permission.currency}."
        )
    charge = V2Charge(
        amazon_id=ctx.ids.child_id(permission.amazon_id, "C"),
        merchant_id=ctx.merchant.id,
        charge_permission=permission,
        currency=permission.currency,
        amount_minor=amount_minor,
        captured_minor=0,
        refunded_minor=0,
        refund_reserved_minor=0,
        refund_count=0,
        capture_now=capture_now,
        can_handle_pending=can_handle_pending,
        soft_descriptor=soft_descriptor,
        merchant_metadata=dict(merchant_metadata),
        provider_metadata=dict(provider_metadata),
        expires_at=ctx.now + (expires_in or authorization_lifetime(ctx)),
        state=C.AUTHORIZED,
        created_at=ctx.now,
        live=ctx.live,
    )
    if declined is not None:
        charge.state, charge.reason_code = C.DECLINED, declined
        created(ctx, charge)
        return charge
    permission.charged_minor += amount_minor
    if pending is not None:
        charge.state = C.AUTHORIZATION_INITIATED
        plan(charge, ctx.now + PENDING_DELAY, *pending)
        created(ctx, charge)
    elif capture_now:
        charge.state = C.CAPTURED
        charge.captured_minor = amount_minor
        created(ctx, charge)
        record_capture(ctx, permission, amount_minor)
    else:
        plan(charge, charge.expires_at, C.CANCELED, "ExpiredUnused")
        created(ctx, charge)
    return charge


def update_charge(ctx: Context, amazon_id: str, body: Mapping[str, Any]) -> V2Charge:
    """``PATCH charges/{id}``: the merchant's metadata (UNCONFIRMED: what else Amazon lets
    change; only the metadata here)."""
    charge = get_charge(ctx, amazon_id, for_update=True)
    charge.merchant_metadata = merge_metadata(
        charge.merchant_metadata, body.get("merchantMetadata")
    )
    charge.last_update = ctx.now
    return charge


def capture(
    ctx: Context, amazon_id: str, body: Mapping[str, Any], simulation_code: str | None = None
) -> V2Charge:
    """``POST charges/{id}/capture``."""
    code = simulation.parse(simulation_code, "CaptureCharge", live=ctx.live)
    charge = get_charge(ctx, amazon_id, for_update=True)
    if charge.state != C.AUTHORIZED:
        detail = f"/{charge.reason_code}" if charge.reason_code else ""
        raise InvalidChargeStatus(
            f"The charge {amazon_id} is {charge.state}{detail}; only an Authorized charge can "
            "be captured."
        )
    if ctx.now >= charge.expires_at:
        # Expired, its Canceled/ExpiredUnused not applied yet (the sweep runs every second).
        raise InvalidChargeStatus(
            f"The charge {amazon_id} expired unused at {charge.expires_at:%Y%m%dT%H%M%SZ} "
            "(capture within 2 days of the authorization in the sandbox, 30 days live)."
        )
    amount_minor, currency = parse_price(body["captureAmount"], "captureAmount")
    check_currency(currency, charge.currency, "captureAmount", charge.amazon_id)
    if amount_minor > charge.amount_minor:
        raise TransactionAmountExceeded(
            f"The capture amount exceeds the charge amount "
            f"{format_amount(charge.amount_minor, charge.currency)} {charge.currency}."
        )
    soft_descriptor = check_soft_descriptor(body.get("softDescriptor"))
    if soft_descriptor is not None:
        charge.soft_descriptor = soft_descriptor
    if code in simulation.DECLINES:
        release(charge.charge_permission, charge.amount_minor)
        transition(ctx, charge, C.DECLINED, code)
    elif code == "CaptureInitiated":
        charge.pending_capture_minor = amount_minor
        transition(ctx, charge, C.CAPTURE_INITIATED)
        delay = timedelta(seconds=ctx.merchant.settle_delay_seconds)
        plan(charge, ctx.now + delay, C.CAPTURED)
    else:
        _captured(ctx, charge, amount_minor)
    return charge


def _captured(ctx: Context, charge: V2Charge, amount_minor: int) -> None:
    """``charge`` captured ``amount_minor``; what it does not capture returns to the balance."""
    charge.captured_minor = amount_minor
    charge.pending_capture_minor = None
    transition(ctx, charge, C.CAPTURED)
    permission = charge.charge_permission
    release(permission, charge.amount_minor - amount_minor)
    record_capture(ctx, permission, amount_minor)


def cancel(ctx: Context, amazon_id: str, cancellation_reason: str | None) -> V2Charge:
    """``DELETE charges/{id}/cancel``: a charge not captured yet."""
    charge = get_charge(ctx, amazon_id, for_update=True)
    if charge.state not in charge_permissions.PENDING_CHARGES:
        raise InvalidChargeStatus(
            f"The charge {amazon_id} is {charge.state}; only an AuthorizationInitiated or "
            "Authorized charge can be canceled."
        )
    charge_permissions.cancel_charge(ctx, charge, "MerchantCanceled", cancellation_reason)
    return charge


def apply_due(ctx: Context, charge: V2Charge) -> None:
    """A pending authorization or capture settles; an unused authorization expires."""
    target, reason = charge.planned_state, charge.planned_reason
    assert target is not None
    if charge.state == C.CAPTURE_INITIATED and target == C.CAPTURED:
        _captured(ctx, charge, charge.pending_capture_minor or charge.amount_minor)
    elif target == C.AUTHORIZED and charge.capture_now:
        _captured(ctx, charge, charge.amount_minor)
    elif target == C.AUTHORIZED:
        transition(ctx, charge, C.AUTHORIZED)
        plan(charge, charge.expires_at, C.CANCELED, "ExpiredUnused")
    elif target in (C.DECLINED, C.CANCELED):
        release(charge.charge_permission, charge.amount_minor)
        transition(ctx, charge, target, reason)
    else:
        transition(ctx, charge, target, reason)


#: The states a charge has due work in.
DUE_STATES = (C.AUTHORIZATION_INITIATED.value, C.AUTHORIZED.value, C.CAPTURE_INITIATED.value)
DUE = DueKind(V2Charge, DUE_STATES, apply_due)
