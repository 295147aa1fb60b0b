"""The Off-Amazon Payments service: its dispatch table (Action -> schema, domain call, result
shape) and what its answers look like, for the signed-query pipeline (``gateway.wire.pipeline``).

Explicit and greppable (STYLE §7.5). Result payload names per operation
[SRC: reference/amazon-wire.md §1.6]: Confirm and Close answer only ResponseMetadata; Cancel and
CloseAuthorization an empty Result element; ConfirmBillingAgreement and CloseBillingAgreement an
empty Result element too (C# fixtures ConfirmBillingAgreementResponse.xml,
CloseBillingAgreementResponse.xml).
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from gateway.amazon_hosts import MWS_HOSTS
from gateway.domain import agreement_payments, order_lists, payments
from gateway.domain import billing_agreements as agreements
from gateway.domain import order_references as orders
from gateway.domain.lifecycle import Context
from gateway.errors import GatewayError, InvalidAddress, MissingParameter
from gateway.faults.quotas import OFFAMAZON_QUOTAS
from gateway.runtime import Runtime
from gateway.store.models import BillingAgreement
from gateway.wire import params as p
from gateway.wire import views
from gateway.wire.pipeline import Operation, Service
from gateway.wire.render import OFFAMAZON_NAMESPACE, render_error

#: The one API version (reference §1.1); a request without ``Version`` means it.
API_VERSION = "2013-01-01"

#: An empty ``<OpResult/>`` element.
EMPTY: dict[str, Any] = {}


def _get_order_reference(_rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    oro = orders.get_order_reference(ctx, d["amazon_order_reference_id"])
    return {"OrderReferenceDetails": views.order_reference_details(oro)}


def _set_order_reference(_rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    oro = orders.set_order_reference_details(ctx, **d)
    return {"OrderReferenceDetails": views.order_reference_details(oro)}


def _confirm(_rt: Runtime, ctx: Context, d: dict[str, Any]) -> None:
    orders.confirm_order_reference(
        ctx,
        d["amazon_order_reference_id"],
        d.get("authorization_amount"),
        d.get("authorization_currency"),
    )
    return None


def _cancel(_rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    orders.cancel_order_reference(ctx, d["amazon_order_reference_id"], d.get("reason"))
    return EMPTY


def _close(_rt: Runtime, ctx: Context, d: dict[str, Any]) -> None:
    orders.close_order_reference(ctx, d["amazon_order_reference_id"], d.get("reason"))
    return None


def _authorize(_rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    return {"AuthorizationDetails": views.authorization_details(payments.authorize(ctx, **d))}


def _get_authorization(_rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    auth = payments.get_authorization(ctx, d["amazon_authorization_id"])
    return {"AuthorizationDetails": views.authorization_details(auth)}


def _close_authorization(_rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    payments.close_authorization(ctx, d["amazon_authorization_id"], d.get("reason"))
    return EMPTY


def _capture(_rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    return {"CaptureDetails": views.capture_details(payments.capture(ctx, **d))}


def _get_capture(_rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    return {
        "CaptureDetails": views.capture_details(payments.get_capture(ctx, d["amazon_capture_id"]))
    }


def _refund(_rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    return {"RefundDetails": views.refund_details(payments.refund(ctx, **d))}


def _get_refund(_rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    refund = payments.refund_record(ctx, d["amazon_refund_id"])
    return {"RefundDetails": views.refund_details(refund)}


def _service_status(_rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    now: datetime = ctx.now
    return {"Status": "GREEN", "Timestamp": now}


def _set_order_attributes(_rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    oro = orders.set_order_attributes(ctx, d.pop("amazon_order_reference_id"), **d)
    return {"OrderReferenceDetails": views.order_reference_details(oro)}


def _order_page(page: order_lists.OrderPage) -> dict[str, Any]:
    return {
        "OrderReferenceList": {
            "OrderReference": [views.order_reference_summary(oro) for oro in page.orders]
        },
        "NextPageToken": page.next_page_token,
    }


def _list_order_references(_rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    return _order_page(order_lists.list_order_references(ctx, **d))


def _list_next_order_references(_rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    return _order_page(order_lists.list_next(ctx, d["next_page_token"]))


def _merchant_account_status(_rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    # Every merchant of the sandbox can transact: a request that reaches here was signed by one
    # [SRC: Java fixtures GetMerchantAccountStatusActive.xml / ...Inactive.xml]. Switching a
    # merchant to INACTIVE is not simulated (docs/limitations.md).
    return {"AccountStatus": "ACTIVE"}


# --- billing agreements ------------------------------------------------------------------------


def _agreement_details(ctx: Context, agreement: BillingAgreement) -> dict[str, Any]:
    limits = agreement_payments.limits(ctx.session, agreement, ctx.now)
    return {"BillingAgreementDetails": views.billing_agreement_details(agreement, limits)}


def _get_billing_agreement(_rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    agreement = agreements.get_billing_agreement(ctx, d["amazon_billing_agreement_id"])
    return _agreement_details(ctx, agreement)


def _set_billing_agreement(_rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    agreement = agreements.set_billing_agreement_details(
        ctx, d.pop("amazon_billing_agreement_id"), **d
    )
    return _agreement_details(ctx, agreement)


def _confirm_billing_agreement(_rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    agreements.confirm_billing_agreement(ctx, d["amazon_billing_agreement_id"])
    return EMPTY


def _validate_billing_agreement(_rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    result, reason, agreement = agreements.validate_billing_agreement(
        ctx, d["amazon_billing_agreement_id"]
    )
    return {
        "ValidationResult": result,
        "FailureReasonCode": reason,
        "BillingAgreementStatus": views.billing_agreement_status(
            agreement.state,
            agreement.last_update,
            agreement.reason_code,
            agreement.reason_description,
        ),
    }


def _order_attributes(d: dict[str, Any]) -> agreements.OrderAttributes:
    """The order reference attributes of ``d`` (taken out of it)."""
    names = [field.name for field in fields(agreements.OrderAttributes)]
    return agreements.OrderAttributes(**{name: d.pop(name) for name in names if name in d})


def _authorize_on_billing_agreement(
    _rt: Runtime, ctx: Context, d: dict[str, Any]
) -> dict[str, Any]:
    order = _order_attributes(d)
    auth = agreements.authorize_on_billing_agreement(
        ctx,
        d.pop("amazon_billing_agreement_id"),
        d.pop("reference_id"),
        d.pop("amount"),
        d.pop("currency"),
        order,
        **d,
    )
    return {
        "AuthorizationDetails": views.authorization_details(auth),
        "AmazonOrderReferenceId": auth.order_reference.amazon_id,
    }


def _close_billing_agreement(_rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    agreements.close_billing_agreement(ctx, d["amazon_billing_agreement_id"], d.get("reason"))
    return EMPTY


def _create_order_reference_for_id(_rt: Runtime, ctx: Context, d: dict[str, Any]) -> dict[str, Any]:
    order = _order_attributes(d)
    oro = agreements.create_order_reference_for_id(
        ctx,
        d.pop("object_id"),
        d.pop("object_id_type"),
        d.pop("amount"),
        d.pop("currency"),
        order,
        **d,
    )
    return {"OrderReferenceDetails": views.order_reference_details(oro)}


OPERATIONS: dict[str, Operation] = {
    "GetOrderReferenceDetails": Operation(
        p.GetOrderReferenceDetailsParams(), _get_order_reference, writes=False
    ),
    "SetOrderReferenceDetails": Operation(p.SetOrderReferenceDetailsParams(), _set_order_reference),
    "ConfirmOrderReference": Operation(p.ConfirmOrderReferenceParams(), _confirm),
    "CancelOrderReference": Operation(p.CancelOrderReferenceParams(), _cancel),
    "CloseOrderReference": Operation(p.CloseOrderReferenceParams(), _close),
    "Authorize": Operation(p.AuthorizeParams(), _authorize),
    "GetAuthorizationDetails": Operation(
        p.AuthorizationIdParams(), _get_authorization, writes=False
    ),
    "CloseAuthorization": Operation(p.CloseAuthorizationParams(), _close_authorization),
    "Capture": Operation(p.CaptureParams(), _capture),
    "GetCaptureDetails": Operation(p.CaptureIdParams(), _get_capture, writes=False),
    "Refund": Operation(p.RefundParams(), _refund),
    "GetRefundDetails": Operation(p.RefundIdParams(), _get_refund, writes=False),
    "GetServiceStatus": Operation(p.NoParams(), _service_status, writes=False),
    "SetOrderAttributes": Operation(p.SetOrderAttributesParams(), _set_order_attributes),
    "ListOrderReference": Operation(
        p.ListOrderReferenceParams(), _list_order_references, writes=False
    ),
    "ListOrderReferenceByNextToken": Operation(
        p.NextPageTokenParams(), _list_next_order_references, writes=False
    ),
    "GetMerchantAccountStatus": Operation(p.NoParams(), _merchant_account_status, writes=False),
    "CreateOrderReferenceForId": Operation(
        p.CreateOrderReferenceForIdParams(), _create_order_reference_for_id
    ),
    "GetBillingAgreementDetails": Operation(
        p.GetBillingAgreementDetailsParams(), _get_billing_agreement, writes=False
    ),
    "SetBillingAgreementDetails": Operation(
        p.SetBillingAgreementDetailsParams(), _set_billing_agreement
    ),
    "ConfirmBillingAgreement": Operation(p.BillingAgreementIdParams(), _confirm_billing_agreement),
    "ValidateBillingAgreement": Operation(
        p.BillingAgreementIdParams(), _validate_billing_agreement, writes=False
    ),
    "AuthorizeOnBillingAgreement": Operation(
        p.AuthorizeOnBillingAgreementParams(), _authorize_on_billing_agreement
    ),
    "CloseBillingAgreement": Operation(p.CloseBillingAgreementParams(), _close_billing_agreement),
}


def _unknown_action(action: str) -> GatewayError:
    if not action:
        return MissingParameter("The parameter Action is required but was not supplied.")
    return InvalidAddress(f"The action {action} is not valid for this endpoint.")


def _unsupported_version(version: str) -> GatewayError:
    return InvalidAddress(f"Version {version} is not supported; use {API_VERSION}.")


def _same(error: GatewayError) -> GatewayError:
    return error


SERVICE = Service(
    name="Off-Amazon Payments",
    operations=OPERATIONS,
    versions=(API_VERSION,),
    default_version=API_VERSION,
    unknown_action=_unknown_action,
    unsupported_version=_unsupported_version,
    namespace=OFFAMAZON_NAMESPACE,
    signature_versions=("2",),
    wire_error=_same,
    render_error=render_error,
    account_parameter="SellerId",
    published_hosts=MWS_HOSTS,
    # [SRC: reference/amazon-wire.md §1.1] /OffAmazonPayments_Sandbox is the sandbox's.
    live_path_prefix="/OffAmazonPayments/",
    quotas=OFFAMAZON_QUOTAS,
)
