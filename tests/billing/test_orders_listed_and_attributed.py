"""SetOrderAttributes, ListOrderReference(ByNextToken) and GetMerchantAccountStatus in process."""

from __future__ import annotations

import base64
import itertools
import json
from typing import Any

import pytest

from tests.billing.conftest import sim
from tests.helpers import Answer, SignedApi, new_merchant

SET = "SetOrderAttributesResult/OrderReferenceDetails/"
LIST = "ListOrderReferenceResult/"
NEXT = "ListOrderReferenceByNextTokenResult/"
ITEM = "OrderAttributes.SellerOrderAttributes.OrderItemCategories.OrderItemCategory."


def attributes(**values: str) -> dict[str, str]:
    names = {
        "amount": "OrderAttributes.OrderTotal.Amount",
        "currency": "OrderAttributes.OrderTotal.CurrencyCode",
        "note": "OrderAttributes.SellerNote",
        "platform": "OrderAttributes.PlatformId",
        "order": "OrderAttributes.SellerOrderAttributes.SellerOrderId",
        "store": "OrderAttributes.SellerOrderAttributes.StoreName",
        "custom": "OrderAttributes.SellerOrderAttributes.CustomInformation",
        "psp": "OrderAttributes.PaymentServiceProviderAttributes.PaymentServiceProviderId",
        "psp_order": "OrderAttributes.PaymentServiceProviderAttributes.PaymentServiceProviderOrderId",
        "authentication": "OrderAttributes.RequestPaymentAuthorization",
    }
    return {names[k]: v for k, v in values.items()}


def set_attributes(api: SignedApi, order_id: str, **params: str) -> Answer:
    return api.call("SetOrderAttributes", AmazonOrderReferenceId=order_id, **params)


# --- SetOrderAttributes ----------------------------------------------------------------------------


def test_a_draft_takes_every_attribute(api):
    order_id = api.new_order()
    answer = set_attributes(
        api,
        order_id,
        **attributes(
            amount="30.00",
            currency="USD",
            note="gift",
            order="A-100",
            store="Corner Shop",
            custom="c",
            psp="psp-1",
            psp_order="psp-order-1",
            authentication="true",
        ),
        **{ITEM + "2": "Apparel", ITEM + "1": "Antiques"},
    )
    assert answer.status == 200
    assert answer.find(SET + "OrderTotal/Amount") == "30.00"
    assert answer.find(SET + "SellerNote") == "gift"
    assert answer.find(SET + "SellerOrderAttributes/SellerOrderId") == "A-100"
    assert answer.find(SET + "SellerOrderAttributes/StoreName") == "Corner Shop"
    categories = answer.all(SET + "SellerOrderAttributes/OrderItemCategories/OrderItemCategory")
    assert categories == ["Antiques", "Apparel"]
    psp = SET + "PaymentServiceProviderAttributes/"
    assert answer.find(psp + "PaymentServiceProviderId") == "psp-1"
    assert answer.find(psp + "PaymentServiceProviderOrderId") == "psp-order-1"
    assert answer.find(SET + "RequestPaymentAuthorization") == "true"
    # Attributes left out stay as they were.
    again = set_attributes(api, order_id, **attributes(custom="d"))
    assert again.find(SET + "SellerOrderAttributes/SellerOrderId") == "A-100"
    assert again.find(SET + "SellerOrderAttributes/CustomInformation") == "d"
    api.ok("ConfirmOrderReference", AmazonOrderReferenceId=order_id)


def test_the_simulation_string_of_set_order_reference_details(api):
    order_id = api.new_order()
    constrained = sim(Constraint="PaymentMethodNotAllowed")
    answer = set_attributes(
        api, order_id, **attributes(amount="5.00", currency="USD", note=constrained)
    )
    assert answer.all(SET + "Constraints/Constraint/ConstraintID") == ["PaymentMethodNotAllowed"]
    api.error("ConfirmOrderReference", "ConstraintsExist", 400, AmazonOrderReferenceId=order_id)
    set_attributes(api, order_id, **attributes(note="plain note"))
    api.ok("ConfirmOrderReference", AmazonOrderReferenceId=order_id)
    bad = set_attributes(api, api.new_order(), **attributes(note=sim(Constraint="Nope")))
    assert (bad.status, bad.code) == (400, "InvalidSandboxSimulationSpecified")
    assert "SetOrderAttributes" in (bad.find("Error/Message") or "")


def test_after_confirmation_some_attributes_change_once(api):
    order_id = api.open_order("20.00")
    for too_late in (
        attributes(amount="25.00", currency="USD"),
        attributes(note="later"),
        attributes(platform="P1"),
        attributes(authentication="false"),
    ):
        answer = set_attributes(api, order_id, **too_late)
        assert (answer.status, answer.code) == (400, "OrderReferenceNotModifiable")
        assert "only before confirmation" in (answer.find("Error/Message") or "")
    answer = set_attributes(api, order_id, **attributes(order="late-1", psp="psp"))
    assert answer.status == 200
    assert answer.find(SET + "SellerOrderAttributes/SellerOrderId") == "late-1"
    again = set_attributes(api, order_id, **attributes(order="late-2"))
    assert (again.status, again.code) == (400, "OrderReferenceNotModifiable")
    assert "only once after confirmation" in (again.find("Error/Message") or "")
    # Another attribute still has its one change.
    assert set_attributes(api, order_id, **attributes(store="Later Store")).status == 200
    api.ok("CloseOrderReference", AmazonOrderReferenceId=order_id)
    closed = set_attributes(api, order_id, **attributes(custom="x"))
    assert (closed.status, closed.code) == (400, "OrderReferenceNotModifiable")


@pytest.mark.parametrize(
    ("params", "code", "named"),
    [
        (attributes(amount="5.00"), "MissingParameter", "OrderAttributes.OrderTotal.CurrencyCode"),
        (attributes(currency="USD"), "MissingParameter", "OrderAttributes.OrderTotal.Amount"),
        ({ITEM + "x": "Antiques"}, "InvalidParameterValue", ITEM + "x"),
        ({ITEM + "0": "Antiques"}, "InvalidParameterValue", ITEM + "0"),
        ({ITEM + "1": "A" * 65}, "InvalidParameterValue", ITEM + "1"),
        (
            attributes(authentication="maybe"),
            "InvalidParameterValue",
            "RequestPaymentAuthorization",
        ),
    ],
)
def test_bad_attributes(api, params, code, named):
    answer = set_attributes(api, api.new_order(), **params)
    assert (answer.status, answer.code) == (400, code)
    assert named in (answer.find("Error/Message") or "")


# --- ListOrderReference ------------------------------------------------------------------------------


def order_with(
    api: SignedApi, seller_order_id: str, amount: str = "10.00", currency: str = "USD"
) -> str:
    order_id = api.new_order()
    api.ok(
        "SetOrderReferenceDetails",
        AmazonOrderReferenceId=order_id,
        **{
            "OrderReferenceAttributes.OrderTotal.Amount": amount,
            "OrderReferenceAttributes.OrderTotal.CurrencyCode": currency,
            "OrderReferenceAttributes.SellerOrderAttributes.SellerOrderId": seller_order_id,
        },
    )
    return order_id


def listed(answer: Answer, result: str = LIST) -> list[str]:
    assert answer.status == 200, answer.code
    return answer.all(result + "OrderReferenceList/OrderReference/AmazonOrderReferenceId")


def list_orders(api: SignedApi, query: str = "Q-1", **params: str) -> Answer:
    return api.call(
        "ListOrderReference",
        QueryId=query,
        QueryIdType=params.pop("QueryIdType", "SellerOrderId"),
        PaymentDomain=params.pop("PaymentDomain", "NA_USD"),
        **params,
    )


def every_page(api: SignedApi, first: Answer) -> list[list[str]]:
    pages = [listed(first)]
    token = first.find(LIST + "NextPageToken")
    while token:
        answer = api.call("ListOrderReferenceByNextToken", NextPageToken=token)
        pages.append(listed(answer, NEXT))
        token = answer.find(NEXT + "NextPageToken")
    return pages


def flat(pages: list[list[str]]) -> list[str]:
    return list(itertools.chain.from_iterable(pages))


def test_pages_newest_first_or_oldest_first(api, clock):
    made = []
    for _ in range(7):
        made.append(order_with(api, "Q-1"))
        clock.advance(1)
    order_with(api, "Q-2")
    pages = every_page(api, list_orders(api, PageSize="3"))
    assert [len(page) for page in pages] == [3, 3, 1]
    assert flat(pages) == made[::-1]
    oldest_first = every_page(api, list_orders(api, PageSize="3", SortOrder="Ascending"))
    assert flat(oldest_first) == made
    assert listed(list_orders(api, PageSize="7")) == made[::-1]
    assert list_orders(api, PageSize="7").find(LIST + "NextPageToken") is None


def test_orders_made_in_one_instant_page_by_their_ids(api):
    made = [order_with(api, "same-instant") for _ in range(5)]
    pages = every_page(api, list_orders(api, "same-instant", PageSize="2", SortOrder="Ascending"))
    assert flat(pages) == made


def test_filters(api, clock):
    early = order_with(api, "Q-1")
    clock.advance(3600)
    opened = order_with(api, "Q-1")
    api.ok("ConfirmOrderReference", AmazonOrderReferenceId=opened)
    euro = order_with(api, "Q-1", currency="EUR")
    status = "OrderReferenceStatusListFilter.OrderReferenceStatus."
    assert listed(list_orders(api)) == [opened, early]  # NA_USD: not the EUR one
    assert listed(list_orders(api, PaymentDomain="EU_EUR")) == [euro]
    assert listed(list_orders(api, **{status + "1": "Open"})) == [opened]
    assert listed(list_orders(api, **{status + "1": "Open", status + "2": "Draft"})) == [
        opened,
        early,
    ]
    within = {
        "CreatedTimeRange.StartTime": "2026-11-01T12:30",
        "CreatedTimeRange.EndTime": "2026-11-01T13:00:00Z",
    }
    assert listed(list_orders(api, **within)) == [opened]
    day = {"CreatedTimeRange.StartTime": "2026-11-01", "CreatedTimeRange.EndTime": "2026-11-02"}
    assert listed(list_orders(api, **day)) == [opened, early]
    assert listed(list_orders(api, "nobody")) == []


def test_a_token_carries_its_query(api, clock):
    for _ in range(3):
        order_with(api, "Q-1")
        clock.advance(1)
    opened = order_with(api, "Q-1")
    api.ok("ConfirmOrderReference", AmazonOrderReferenceId=opened)
    status = "OrderReferenceStatusListFilter.OrderReferenceStatus.1"
    first = list_orders(api, PageSize="2", **{status: "Draft"})
    pages = every_page(api, first)
    assert [len(page) for page in pages] == [2, 1]
    assert opened not in flat(pages)


@pytest.mark.parametrize(
    ("params", "code", "named"),
    [
        ({"QueryIdType": "AmazonOrderReferenceId"}, "InvalidParameterValue", "QueryIdType"),
        ({"PaymentDomain": "XX_USD"}, "InvalidParameterValue", "PaymentDomain"),
        ({"PageSize": "0"}, "InvalidParameterValue", "PageSize"),
        ({"PageSize": "101"}, "InvalidParameterValue", "PageSize"),
        ({"SortOrder": "Up"}, "InvalidParameterValue", "SortOrder"),
        ({"CreatedTimeRange.StartTime": "2026-11-01"}, "MissingParameter", "EndTime"),
        (
            {"CreatedTimeRange.StartTime": "yesterday", "CreatedTimeRange.EndTime": "2026-11-02"},
            "InvalidParameterValue",
            "CreatedTimeRange.StartTime",
        ),
        (
            {"CreatedTimeRange.StartTime": "2026-11-03", "CreatedTimeRange.EndTime": "2026-11-02"},
            "InvalidParameterValue",
            "CreatedTimeRange.EndTime",
        ),
        (
            {"OrderReferenceStatusListFilter.OrderReferenceStatus.1": "Pending"},
            "InvalidParameterValue",
            "OrderReferenceStatusListFilter.OrderReferenceStatus.1",
        ),
    ],
)
def test_bad_queries(api, params, code, named):
    answer = list_orders(api, **params)
    assert (answer.status, answer.code) == (400, code)
    assert named in (answer.find("Error/Message") or "")


def _token(**changes: Any) -> str:
    plain = {
        "seller_id": "A1",
        "seller_order_id": "Q-1",
        "currency": "USD",
        "created_from": None,
        "created_to": None,
        "states": [],
        "ascending": False,
        "page_size": 2,
        "after": ["2026-11-01T12:00:00+00:00", 1],
        **changes,
    }
    return base64.b64encode(json.dumps(plain).encode()).decode()


def test_tokens_it_did_not_hand_out_are_refused(api, app, runtime, clock):
    for _ in range(3):
        order_with(api, "Q-1")
    token = list_orders(api, PageSize="2").find(LIST + "NextPageToken")
    assert token
    other = SignedApi(app.test_client(), new_merchant(runtime), clock)
    refused = other.call("ListOrderReferenceByNextToken", NextPageToken=token)
    assert (refused.status, refused.code) == (400, "InvalidParameterValue")
    assert "another seller" in (refused.find("Error/Message") or "")
    seller = api.merchant.seller_id
    for bad in (
        "not base64!",
        base64.b64encode(b"[1, 2]").decode(),
        _token(seller_id=seller, page_size=1000),
        _token(seller_id=seller, currency="XYZ"),
        _token(seller_id=seller, states=["Pending"]),
        _token(seller_id=seller, after=["2026-11-01T12:00:00", 1]),
        _token(seller_id=seller, after=["2026-11-01T12:00:00+00:00", "1"]),
        _token(seller_id=seller, ascending="yes"),
    ):
        answer = api.call("ListOrderReferenceByNextToken", NextPageToken=bad)
        assert (answer.status, answer.code) == (400, "InvalidParameterValue"), bad
    assert (
        listed(
            api.call("ListOrderReferenceByNextToken", NextPageToken=_token(seller_id=seller)), NEXT
        )
        == []
    )


def test_merchant_account_status(api):
    answer = api.ok("GetMerchantAccountStatus")
    assert answer.find("GetMerchantAccountStatusResult/AccountStatus") == "ACTIVE"
