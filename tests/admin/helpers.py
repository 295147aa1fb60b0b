"""Helpers of the order administration tests: the sandbox API in process, orders in a state."""

from __future__ import annotations

from typing import Any

from tests.helpers import SignedApi

CONTROL = "/sandbox/api/v1/merchants"


def control(api: SignedApi, method: str, path: str, status: int | None = None, **body: Any) -> Any:
    """A call of the merchant's sandbox API (``path`` below the merchant), asserted to answer
    ``status`` (any 2xx when None); its JSON."""
    response = getattr(api.client, method)(
        f"{CONTROL}/{api.merchant.seller_id}{path}", json=body if body else None
    )
    if status is None:
        assert response.status_code < 300, response.get_json()
    else:
        assert response.status_code == status, response.get_json()
    return response.get_json()


def order(api: SignedApi, order_id: str) -> Any:
    return control(api, "get", f"/orders/{order_id}", 200)


def open_order(api: SignedApi, amount: str = "100.00", **body: Any) -> str:
    """An Open order reference of ``amount`` (line items and other fields from ``body``)."""
    return api.open_order(amount, body.get("currency_code", "USD"), **body)


def authorized(api: SignedApi, order_id: str, amount: str, currency: str = "USD") -> str:
    answer = api.authorize(order_id, amount, api.unique_ref("auth"), currency=currency)
    assert answer.status == 200
    auth_id = answer.find("AuthorizeResult/AuthorizationDetails/AmazonAuthorizationId")
    assert auth_id
    return auth_id


def captured(api: SignedApi, amount: str = "100.00", currency: str = "USD", **body: Any) -> str:
    """An order captured in whole; its id."""
    order_id = open_order(api, amount, currency_code=currency, **body)
    auth_id = authorized(api, order_id, amount, currency)
    assert api.capture(auth_id, amount, api.unique_ref("cap"), currency=currency).status == 200
    return order_id


def refunds_of(detail: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        refund
        for auth in detail["authorizations"]
        for cap in auth["captures"]
        for refund in cap["refunds"]
    ]
