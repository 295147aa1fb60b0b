"""Off-Amazon Payments parameters are checked before they reach the domain or the database: an
InvalidParameterValue naming the parameter, never a 500, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

from tests.helpers import SignedApi

TOTAL = {
    "OrderReferenceAttributes.OrderTotal.Amount": "10.00",
    "OrderReferenceAttributes.OrderTotal.CurrencyCode": "USD",
}
SELLER_ORDER = "OrderReferenceAttributes.SellerOrderAttributes."


def message(answer) -> str:
    return answer.find("Error/Message") or ""


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AmazonOrderReferenceId", "\x00"),
        ("OrderReferenceAttributes.SellerNote", "a\x00b"),
        (SELLER_ORDER + "StoreName", "\x1b[31m"),
        (SELLER_ORDER + "CustomInformation", "\x85"),
        ("AWSAccessKeyId", "\x00"),  # looked up in the database before the signature is checked
    ],
)
def test_a_control_character_is_refused_naming_the_parameter(api: SignedApi, name, value):
    form = api.form("SetOrderReferenceDetails", AmazonOrderReferenceId=api.new_order(), **TOTAL)
    form[name] = value
    answer = api.post(form)
    assert (answer.status, answer.code) == (400, "InvalidParameterValue")
    assert f"parameter {name!r}" in message(answer)
    assert "control characters" in message(answer)


@pytest.mark.parametrize(
    ("name", "longest"),
    [
        ("OrderReferenceAttributes.PlatformId", 64),
        (SELLER_ORDER + "SellerOrderId", 128),
        (SELLER_ORDER + "StoreName", 128),
        ("OrderReferenceAttributes.SellerNote", 1024),
    ],
)
def test_a_value_is_as_long_as_its_column_at_most(api: SignedApi, name, longest):
    order_id = api.new_order()
    answer = api.call(
        "SetOrderReferenceDetails",
        AmazonOrderReferenceId=order_id,
        **TOTAL,
        **{name: "x" * (longest + 1)},
    )
    assert (answer.status, answer.code) == (400, "InvalidParameterValue")
    assert f"parameter {name} is invalid" in message(answer)
    assert f"({longest + 1} characters)" in message(answer)  # the value is not echoed whole
    api.ok(
        "SetOrderReferenceDetails",
        AmazonOrderReferenceId=order_id,
        **TOTAL,
        **{name: "x" * longest},
    )


def test_a_reference_id_with_a_trailing_line_feed_is_refused(api: SignedApi):
    answer = api.authorize(api.open_order("10.00"), "1.00", "ref\n")
    assert (answer.status, answer.code) == (400, "InvalidParameterValue")
    assert "AuthorizationReferenceId" in message(answer)
