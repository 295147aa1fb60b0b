"""Charge permissions: made when a checkout session completes; Get, Update and Close.

[SRC: developer.amazon.com/docs/amazon-pay-api-v2/charge-permission.html] A OneTime charge
permission may be charged up to the order amount while Chargeable (``limits.amountLimit``, what
is left being ``amountBalance``); it closes when that amount has been captured, when the merchant
(or Amazon) closes it, or when it expires after 180 days. Closing it with
``cancelPendingCharges`` cancels its charges not captured yet. No Flask here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from gateway.domain.lifecycle import Context, created, plan, transition
from gateway.registry import DueKind
from gateway.v2 import simulation, store
from gateway.v2.errors import InvalidChargePermissionStatus, InvalidParameterValue, ResourceNotFound
from gateway.v2.models import V2Charge, V2ChargePermission, V2CheckoutSession
from gateway.v2.states import ChargePermissionState as P
from gateway.v2.states import ChargeState as C

#: How long a OneTime charge permission lives (charge-permission.html: "expires after 180
#: days"). UNCONFIRMED: the sandbox's is the same (Amazon documents no shorter one).
ONE_TIME_LIFETIME = timedelta(days=180)
#: Charges a closing charge permission cancels when asked to (``cancelPendingCharges``).
PENDING_CHARGES = (C.AUTHORIZATION_INITIATED, C.AUTHORIZED)


def get(ctx: Context, amazon_id: str, *, for_update: bool = False) -> V2ChargePermission:
    found = store.charge_permission(ctx.session, ctx.merchant.id, amazon_id, for_update=for_update)
    if found is None:
        raise ResourceNotFound(f"The charge permission {amazon_id} does not exist.")
    return found


def open_for(ctx: Context, session: V2CheckoutSession) -> V2ChargePermission:
    """The Chargeable charge permission a completing checkout session makes."""
    assert session.amount_minor is not None and session.currency is not None
    permission = V2ChargePermission(
        amazon_id=ctx.ids.order_reference_id(sandbox=not ctx.live),
        merchant_id=ctx.merchant.id,
        charge_permission_type=session.charge_permission_type,
        currency=session.currency,
        amount_limit_minor=session.amount_minor,
        charged_minor=0,
        captured_minor=0,
        merchant_metadata=dict(session.merchant_metadata),
        platform_id=session.platform_id,
        buyer=session.buyer,
        shipping_address=session.shipping_address,
        billing_address=session.billing_address,
        payment_method=session.payment_method,
        expires_at=ctx.now + ONE_TIME_LIFETIME,
        state=P.CHARGEABLE,
        created_at=ctx.now,
        live=ctx.live,
    )
    plan(permission, permission.expires_at, P.CLOSED, "Expired")
    created(ctx, permission)
    return permission


def merge_metadata(current: Mapping[str, Any], given: Mapping[str, Any] | None) -> dict[str, Any]:
    """``merchantMetadata`` after an update: the given fields replace the stored ones."""
    merged = dict(current)
    for name, value in (given or {}).items():
        if value is not None:
            merged[name] = value
    return merged


def update(ctx: Context, amazon_id: str, body: Mapping[str, Any]) -> V2ChargePermission:
    """``PATCH chargePermissions/{id}``: the merchant's metadata, while it is not Closed."""
    permission = get(ctx, amazon_id, for_update=True)
    if permission.state == P.CLOSED:
        raise InvalidChargePermissionStatus(
            f"The charge permission {amazon_id} is Closed/{permission.reason_code}; "
            "it cannot be updated."
        )
    permission.merchant_metadata = merge_metadata(
        permission.merchant_metadata, body.get("merchantMetadata")
    )
    permission.last_update = ctx.now
    return permission


def close(
    ctx: Context,
    amazon_id: str,
    *,
    closure_reason: str | None,
    cancel_pending_charges: bool,
    simulation_code: str | None = None,
) -> V2ChargePermission:
    """``DELETE chargePermissions/{id}/close``."""
    code = simulation.parse(simulation_code, "CloseChargePermission", live=ctx.live)
    permission = get(ctx, amazon_id, for_update=True)
    if permission.state == P.CLOSED:
        raise InvalidChargePermissionStatus(
            f"The charge permission {amazon_id} is already Closed/{permission.reason_code}."
        )
    if closure_reason is not None and len(closure_reason) > 255:
        raise InvalidParameterValue("closureReason is longer than 255 characters.")
    if cancel_pending_charges:
        for charge in permission.charges:
            if charge.state in PENDING_CHARGES:
                cancel_charge(ctx, charge, "ChargePermissionCanceled", closure_reason)
    reason = code or "MerchantClosed"
    transition(ctx, permission, P.CLOSED, reason, closure_reason)
    return permission


def cancel_charge(
    ctx: Context, charge: V2Charge, reason: str, description: str | None = None
) -> None:
    """Cancel a charge not captured yet; its amount no longer counts against the permission."""
    release(charge.charge_permission, charge.amount_minor)
    transition(ctx, charge, C.CANCELED, reason, description)


def release(permission: V2ChargePermission, amount_minor: int) -> None:
    """A charge (or the uncaptured part of one) that will not be paid gives its amount back."""
    permission.charged_minor -= amount_minor


def record_capture(ctx: Context, permission: V2ChargePermission, amount_minor: int) -> None:
    """A charge captured ``amount_minor``: a OneTime permission whose whole amount is captured
    closes (charge-permission.html). UNCONFIRMED: the reason code, MaxAmountCharged as v1's
    order reference."""
    permission.captured_minor += amount_minor
    if (
        permission.charge_permission_type == "OneTime"
        and permission.captured_minor >= permission.amount_limit_minor
        and permission.state != P.CLOSED
    ):
        transition(ctx, permission, P.CLOSED, "MaxAmountCharged")


def apply_due(ctx: Context, permission: V2ChargePermission) -> None:
    """Its planned change when due: Closed/Expired at the end of its life."""
    assert permission.planned_state is not None
    transition(ctx, permission, permission.planned_state, permission.planned_reason)


DUE = DueKind(V2ChargePermission, (P.CHARGEABLE.value, P.NON_CHARGEABLE.value), apply_due)
