"""The handlers of the v2 operations on checkout sessions, charge permissions, charges and
refunds: each reads its ``V2Call``, runs the domain function and answers the object in
Amazon's shape (``gateway.v2.views``). No Flask here.

Statuses [SRC: developer.amazon.com/docs/amazon-pay-api-v2/*.html]: 201 for what a create call
makes, 200 otherwise; UNCONFIRMED: 202 for a Complete Checkout Session whose charge is pending
(AuthorizationInitiated).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.domain.lifecycle import Context
from gateway.v2 import charge_permissions, charges, checkout_sessions, refunds, simulation, views
from gateway.v2.calls import V2Answer, V2Call
from gateway.v2.schemas import body_of
from gateway.v2.states import ChargeState as C

if TYPE_CHECKING:
    from gateway.runtime import Runtime


def _public_url(runtime: Runtime) -> str:
    return runtime.settings.resolved_public_url


def _no_simulation(ctx: Context, call: V2Call, operation: str) -> None:
    """An operation that takes no simulation code refuses one (InvalidSandboxSimulationSpecified)."""
    simulation.parse(call.simulation_code, operation, live=ctx.live)


# --- checkout sessions ---------------------------------------------------------------------------


def create_checkout_session(runtime: Runtime, ctx: Context, call: V2Call) -> V2Answer:
    _no_simulation(ctx, call, "CreateCheckoutSession")
    session = checkout_sessions.create_session(ctx, body_of(call.body))
    return V2Answer(201, views.checkout_session_json(session, _public_url(runtime)))


def get_checkout_session(runtime: Runtime, ctx: Context, call: V2Call) -> V2Answer:
    _no_simulation(ctx, call, "GetCheckoutSession")
    session = checkout_sessions.get_session(ctx, call.path_params["checkoutSessionId"])
    return V2Answer(200, views.checkout_session_json(session, _public_url(runtime)))


def update_checkout_session(runtime: Runtime, ctx: Context, call: V2Call) -> V2Answer:
    _no_simulation(ctx, call, "UpdateCheckoutSession")
    session = checkout_sessions.update_session(
        ctx, call.path_params["checkoutSessionId"], body_of(call.body)
    )
    return V2Answer(200, views.checkout_session_json(session, _public_url(runtime)))


def complete_checkout_session(runtime: Runtime, ctx: Context, call: V2Call) -> V2Answer:
    session = checkout_sessions.complete_session(
        ctx, call.path_params["checkoutSessionId"], body_of(call.body), call.simulation_code
    )
    pending = session.charge is not None and session.charge.state == C.AUTHORIZATION_INITIATED
    return V2Answer(
        202 if pending else 200, views.checkout_session_json(session, _public_url(runtime))
    )


# --- charge permissions --------------------------------------------------------------------------


def get_charge_permission(runtime: Runtime, ctx: Context, call: V2Call) -> V2Answer:
    _no_simulation(ctx, call, "GetChargePermission")
    permission = charge_permissions.get(ctx, call.path_params["chargePermissionId"])
    return V2Answer(200, views.charge_permission_json(permission))


def update_charge_permission(runtime: Runtime, ctx: Context, call: V2Call) -> V2Answer:
    _no_simulation(ctx, call, "UpdateChargePermission")
    permission = charge_permissions.update(
        ctx, call.path_params["chargePermissionId"], body_of(call.body)
    )
    return V2Answer(200, views.charge_permission_json(permission))


def close_charge_permission(runtime: Runtime, ctx: Context, call: V2Call) -> V2Answer:
    body = body_of(call.body)
    permission = charge_permissions.close(
        ctx,
        call.path_params["chargePermissionId"],
        closure_reason=body.get("closureReason"),
        cancel_pending_charges=bool(body.get("cancelPendingCharges", False)),
        simulation_code=call.simulation_code,
    )
    return V2Answer(200, views.charge_permission_json(permission))


# --- charges -------------------------------------------------------------------------------------


def create_charge(runtime: Runtime, ctx: Context, call: V2Call) -> V2Answer:
    charge = charges.create_charge(ctx, body_of(call.body), call.simulation_code)
    return V2Answer(201, views.charge_json(charge))


def get_charge(runtime: Runtime, ctx: Context, call: V2Call) -> V2Answer:
    _no_simulation(ctx, call, "GetCharge")
    return V2Answer(200, views.charge_json(charges.get_charge(ctx, call.path_params["chargeId"])))


def update_charge(runtime: Runtime, ctx: Context, call: V2Call) -> V2Answer:
    _no_simulation(ctx, call, "UpdateCharge")
    charge = charges.update_charge(ctx, call.path_params["chargeId"], body_of(call.body))
    return V2Answer(200, views.charge_json(charge))


def capture_charge(runtime: Runtime, ctx: Context, call: V2Call) -> V2Answer:
    charge = charges.capture(
        ctx, call.path_params["chargeId"], body_of(call.body), call.simulation_code
    )
    return V2Answer(200, views.charge_json(charge))


def cancel_charge(runtime: Runtime, ctx: Context, call: V2Call) -> V2Answer:
    _no_simulation(ctx, call, "CancelCharge")
    charge = charges.cancel(
        ctx, call.path_params["chargeId"], body_of(call.body).get("cancellationReason")
    )
    return V2Answer(200, views.charge_json(charge))


# --- refunds -------------------------------------------------------------------------------------


def create_refund(runtime: Runtime, ctx: Context, call: V2Call) -> V2Answer:
    refund = refunds.create_refund(ctx, body_of(call.body), call.simulation_code)
    return V2Answer(201, views.refund_json(refund))


def get_refund(runtime: Runtime, ctx: Context, call: V2Call) -> V2Answer:
    _no_simulation(ctx, call, "GetRefund")
    return V2Answer(200, views.refund_json(refunds.get_refund(ctx, call.path_params["refundId"])))
