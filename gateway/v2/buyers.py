"""API v2 buyers: buyer tokens and Get Buyer. No Flask here.

A buyer token is what Amazon Sign-In hands the merchant for a buyer who signed in
[SRC: developer.amazon.com/docs/amazon-pay-api-v2/buyer.html]. Here the buyer's part of checkout
(the hosted pages, the control API's shortcut, the seed) calls :func:`issue_buyer_token` with the
buyer's details in Amazon's JSON names; Get Buyer answers them. A token belongs to the merchant
it was issued to: another merchant's Get Buyer does not find it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.domain.lifecycle import Context
from gateway.ids import IdGenerator
from gateway.v2.account_models import V2BuyerToken
from gateway.v2.calls import V2Answer, V2Call
from gateway.v2.errors import ResourceNotFound

if TYPE_CHECKING:
    from gateway.runtime import Runtime

#: The Buyer object's fields besides ``buyerId``, in Amazon's order (buyer.html).
BUYER_FIELDS = (
    "name",
    "email",
    "postalCode",
    "countryCode",
    "phoneNumber",
    "shippingAddress",
    "billingAddress",
    "primeMembershipTypes",
)


def buyer_id(email: str) -> str:
    """Amazon's directed buyer id, the same for every token of one buyer (by e-mail address):
    ``amzn1.account.`` and 28 upper-case characters, as Amazon's ids look."""
    digest = hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest().upper()
    return "amzn1.account.A" + digest[:27]


def buyer_details(
    *,
    name: str,
    email: str,
    phone_number: str | None = None,
    shipping_address: Mapping[str, Any] | None = None,
    billing_address: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The Buyer object's fields (addresses in Amazon's names: ``addressLine1``,
    ``stateOrRegion``, ``postalCode``, ``countryCode`` …); the postal and country code are the
    default shipping address's, as Amazon answers them."""
    shipping = dict(shipping_address) if shipping_address else None
    return {
        "name": name,
        "email": email,
        "postalCode": shipping.get("postalCode") if shipping else None,
        "countryCode": shipping.get("countryCode") if shipping else None,
        "phoneNumber": phone_number,
        "shippingAddress": shipping,
        "billingAddress": dict(billing_address) if billing_address else None,
        "primeMembershipTypes": None,
    }


#: A sandbox destination's names (``gateway.api.orders.DestinationSchema``, as v1's widgets
#: leave it) and the v2 address names they become (buyer.html "Type: address").
_ADDRESS_NAMES = {
    "name": "name",
    "address_line1": "addressLine1",
    "address_line2": "addressLine2",
    "address_line3": "addressLine3",
    "city": "city",
    "county": "county",
    "district": "district",
    "state_or_region": "stateOrRegion",
    "postal_code": "postalCode",
    "country_code": "countryCode",
    "phone": "phoneNumber",
}


def address_from_sandbox(destination: Mapping[str, Any]) -> dict[str, Any]:
    """A sandbox destination (v1's names) as an API v2 address (every field, None when unset)."""
    return {v2: destination.get(v1) for v1, v2 in _ADDRESS_NAMES.items()}


def details_from_sandbox(
    buyer: Mapping[str, Any],
    destination: Mapping[str, Any] | None,
    billing: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The Buyer object's fields for a sandbox buyer (``BuyerSchema``: name, email, phone) and
    destination, the way the sandbox describes buyers for both APIs."""
    return buyer_details(
        name=str(buyer.get("name") or ""),
        email=str(buyer.get("email") or ""),
        phone_number=buyer.get("phone"),
        shipping_address=address_from_sandbox(destination) if destination else None,
        billing_address=address_from_sandbox(billing) if billing else None,
    )


def issue_buyer_token(
    session: Session,
    ids: IdGenerator,
    merchant_id: int,
    details: Mapping[str, Any],
    now: datetime,
    *,
    token: str | None = None,
) -> str:
    """A new buyer token of ``merchant_id`` for the buyer of ``details`` (:func:`buyer_details`);
    ``token`` fixes it (seeded data), else one is made."""
    issued = token or ids.buyer_token()
    session.add(
        V2BuyerToken(
            token=issued,
            merchant_id=merchant_id,
            buyer_id=buyer_id(str(details.get("email") or "")),
            details={name: details.get(name) for name in BUYER_FIELDS},
            created_at=now,
        )
    )
    session.flush()
    return issued


def buyer_json(row: V2BuyerToken) -> dict[str, Any]:
    return {"buyerId": row.buyer_id, **{name: row.details.get(name) for name in BUYER_FIELDS}}


def find_buyer(session: Session, merchant_id: int, token: str) -> V2BuyerToken | None:
    return session.scalar(
        select(V2BuyerToken).where(
            V2BuyerToken.token == token, V2BuyerToken.merchant_id == merchant_id
        )
    )


def get_buyer(runtime: Runtime, ctx: Context, call: V2Call) -> V2Answer:
    """``GET buyers/{buyerToken}``."""
    token = call.path_params["buyerToken"]
    row = find_buyer(ctx.session, ctx.merchant.id, token)
    if row is None:
        raise ResourceNotFound(f"The buyer token {token} does not exist.")
    return V2Answer(200, buyer_json(row))
