"""Order administration in process: capture, refund up to the cap, cancel in whole or in part,
close, the refund_on_cancel preference. Every change is checked on Amazon's objects (through the
signed API) and on the notifications written."""

from __future__ import annotations

from sqlalchemy import select

from gateway.store.models import Notification
from tests.admin.helpers import (
    authorized,
    captured,
    control,
    open_order,
    order,
    refunds_of,
)

ITEMS = [
    {"sku": "MUG", "title": "Mug", "quantity": 2, "unit_price": "15.00"},
    {"sku": "TEE", "title": "T-shirt", "quantity": 1, "unit_price": "20.00"},
]


def notifications(runtime, object_id: str) -> list[tuple[str, str, str | None]]:
    with runtime.db.session(write=False) as session:
        rows = session.scalars(
            select(Notification)
            .where(Notification.object_id == object_id)
            .order_by(Notification.id)
        )
        return [(r.notification_type, r.state, r.reason_code) for r in rows]


def test_line_items_make_the_amount_of_a_new_order(api):
    made = control(api, "post", "/order-references", 201, line_items=ITEMS)
    shown = order(api, made["amazon_order_reference_id"])
    assert shown["amount"] == "50.00" and shown["payment_status"] == "Draft"
    assert [(i["sku"], i["quantity"], i["unit_price"]) for i in shown["line_items"]] == [
        ("MUG", 2, "15.00"),
        ("TEE", 1, "20.00"),
    ]


def test_a_bad_line_item_is_refused_naming_the_field(api):
    response = api.client.post(
        f"/sandbox/api/v1/merchants/{api.merchant.seller_id}/order-references",
        json={"line_items": [{"sku": "A", "quantity": 0, "unit_price": "1.00"}]},
    )
    assert response.status_code == 400
    assert "quantity" in response.get_json()["error"]["fields"]["line_items"]["0"]


def test_capture_takes_the_open_authorization_in_whole(api, runtime):
    order_id = open_order(api, "40.00")
    auth_id = authorized(api, order_id, "40.00")
    result = control(api, "post", f"/orders/{order_id}/captures", 201)
    cap_id = result["capture"]["AmazonCaptureId"]
    assert result["capture"]["CaptureAmount"]["Amount"] == "40.00"
    assert result["order"]["payment_status"] == "Captured"
    auth = api.ok("GetAuthorizationDetails", AmazonAuthorizationId=auth_id)
    assert (
        auth.find("GetAuthorizationDetailsResult/AuthorizationDetails/AuthorizationStatus/State")
        == "Closed"
    )
    assert notifications(runtime, cap_id) == [("PaymentCapture", "Completed", None)]
    error = control(api, "post", f"/orders/{order_id}/captures", 409)
    assert error["error"]["code"] == "NothingToCapture"


def test_refundable_goes_up_to_amazons_cap_and_no_further(api):
    order_id = captured(api, "100.00")
    room = control(api, "get", f"/orders/{order_id}/refundable", 200)
    assert (room["amount"], room["maximum"]) == ("100.00", "115.00")
    over = control(api, "post", f"/orders/{order_id}/refunds", 400, amount="115.01")
    assert over["error"]["code"] == "TransactionAmountExceeded"
    made = control(api, "post", f"/orders/{order_id}/refunds", 201, amount="115.00")
    assert [r["RefundStatus"]["State"] for r in made["refunds"]] == ["Pending"]
    assert made["order"]["refundable"]["maximum"] == "0.00"


def test_the_cap_of_a_large_capture_is_75_over_and_8400_in_yen(api):
    order_id = captured(api, "1000.00")
    assert control(api, "get", f"/orders/{order_id}/refundable")["maximum"] == "1075.00"
    yen = captured(api, "100000", currency="JPY")
    assert control(api, "get", f"/orders/{yen}/refundable")["maximum"] == "108400"


def test_a_refund_settles_as_any_refund_with_its_notification(api, runtime):
    order_id = captured(api, "50.00")
    made = control(api, "post", f"/orders/{order_id}/refunds", 201, amount="20.00")
    refund_id = made["refunds"][0]["AmazonRefundId"]
    control(api, "post", "/clock/advance", 200, seconds=5)
    assert notifications(runtime, refund_id) == [("PaymentRefund", "Completed", None)]
    assert order(api, order_id)["payment_status"] == "PartiallyRefunded"


def test_canceling_part_of_an_authorized_order_releases_without_refunding(api, runtime):
    order_id = open_order(api, "100.00")
    auth_id = authorized(api, order_id, "100.00")
    done = control(api, "post", f"/orders/{order_id}/cancel", 200, amount="30.00")
    assert (done["whole"], done["released_amount"], done["refund_due_amount"]) == (
        False,
        "30.00",
        "0.00",
    )
    assert done["refunds"] == []
    auth = api.ok("GetAuthorizationDetails", AmazonAuthorizationId=auth_id)
    base = "GetAuthorizationDetailsResult/AuthorizationDetails/"
    assert auth.find(base + "AuthorizationAmount/Amount") == "70.00"
    assert auth.find(base + "AuthorizationStatus/State") == "Open"
    details = api.ok("GetOrderReferenceDetails", AmazonOrderReferenceId=order_id)
    assert (
        details.find("GetOrderReferenceDetailsResult/OrderReferenceDetails/OrderTotal/Amount")
        == "70.00"
    )
    assert done["order"]["administration"]["canceled_amount"] == "30.00"


def test_canceling_line_items_of_a_captured_order_refunds_their_value(api, runtime):
    order_id = captured(api, "50.00", line_items=ITEMS)
    done = control(
        api, "post", f"/orders/{order_id}/cancel", 200, line_items=[{"sku": "MUG", "quantity": 1}]
    )
    assert (done["canceled_amount"], done["released_amount"], done["refund_due_amount"]) == (
        "15.00",
        "0.00",
        "15.00",
    )
    refund = done["refunds"][0]
    assert (refund["RefundAmount"]["Amount"], refund["RefundStatus"]["State"]) == (
        "15.00",
        "Pending",
    )
    mug = done["order"]["line_items"][0]
    assert (mug["quantity"], mug["canceled_quantity"]) == (2, 1)
    assert done["order"]["amount"] == "35.00"
    control(api, "post", "/clock/advance", 200, seconds=5)
    assert notifications(runtime, refund["AmazonRefundId"]) == [
        ("PaymentRefund", "Completed", None)
    ]
    again = control(
        api, "post", f"/orders/{order_id}/cancel", 400, line_items=[{"sku": "MUG", "quantity": 2}]
    )
    assert "quantity" in again["error"]["message"]


def test_canceling_part_of_a_partly_captured_order_releases_first_then_refunds(api):
    order_id = open_order(api, "100.00")
    first = authorized(api, order_id, "60.00")
    assert api.capture(first, "60.00", "c1").status == 200
    second = authorized(api, order_id, "40.00")
    done = control(api, "post", f"/orders/{order_id}/cancel", 200, amount="50.00")
    # 40 not captured is released (the second authorization closes), 10 of the 60 is refunded.
    assert (done["released_amount"], done["refund_due_amount"]) == ("40.00", "10.00")
    assert done["closed_authorizations"] == [second]
    auth = api.ok("GetAuthorizationDetails", AmazonAuthorizationId=second)
    status = "GetAuthorizationDetailsResult/AuthorizationDetails/AuthorizationStatus/"
    assert (auth.find(status + "State"), auth.find(status + "ReasonCode")) == (
        "Closed",
        "SellerClosed",
    )
    assert [r["amount"] for r in refunds_of(done["order"])] == ["10.00"]


def test_canceling_an_uncaptured_order_in_whole_is_amazons_cancellation(api, runtime):
    order_id = open_order(api, "25.00")
    auth_id = authorized(api, order_id, "25.00")
    done = control(api, "post", f"/orders/{order_id}/cancel", 200)
    assert done["whole"] and done["order"]["state"] == "Canceled"
    assert done["order"]["payment_status"] == "Canceled"
    assert notifications(runtime, order_id) == [
        ("OrderReferenceNotification", "Canceled", "SellerCanceled")
    ]
    assert notifications(runtime, auth_id)[-1] == (
        "PaymentAuthorize",
        "Closed",
        "OrderReferenceCanceled",
    )
    again = control(api, "post", f"/orders/{order_id}/cancel", 409)
    assert again["error"]["code"] == "OrderAlreadyCanceled"


def test_canceling_a_captured_order_in_whole_refunds_and_closes_it(api, runtime):
    order_id = captured(api, "80.00")
    control(api, "post", f"/orders/{order_id}/refunds", 201, amount="5.00")
    done = control(api, "post", f"/orders/{order_id}/cancel", 200, reason="out of stock")
    assert done["refund_due_amount"] == "75.00"
    assert [r["RefundAmount"]["Amount"] for r in done["refunds"]] == ["75.00"]
    assert (done["order"]["state"], done["order"]["reason_code"]) == ("Closed", "SellerClosed")
    assert done["order"]["payment_status"] == "Canceled"
    assert notifications(runtime, order_id)[-1] == (
        "OrderReferenceNotification",
        "Closed",
        "SellerClosed",
    )


def test_with_manual_refunds_a_cancellation_leaves_what_is_owed(api):
    assert control(api, "put", "/preferences", 200, refund_on_cancel="manual") == {
        "refund_on_cancel": "manual"
    }
    order_id = captured(api, "60.00")
    done = control(api, "post", f"/orders/{order_id}/cancel", 200, amount="20.00")
    assert (done["refunds"], done["owed_amount"]) == ([], "20.00")
    again = control(api, "post", f"/orders/{order_id}/cancel", 200, amount="10.00")
    assert again["owed_amount"] == "30.00"
    control(api, "post", f"/orders/{order_id}/refunds", 201, amount="25.00")
    assert order(api, order_id)["administration"]["owed_amount"] == "5.00"


def test_close_is_close_order_reference(api, runtime):
    order_id = captured(api, "10.00")
    shown = control(api, "post", f"/orders/{order_id}/close", 200, reason="shipped")
    assert (shown["state"], shown["payment_status"]) == ("Closed", "Completed")
    assert notifications(runtime, order_id)[-1] == (
        "OrderReferenceNotification",
        "Closed",
        "SellerClosed",
    )


def test_bad_input_and_other_merchants_orders(api, app, runtime, clock):
    from tests.helpers import SignedApi, new_merchant

    order_id = open_order(api, "10.00")
    both = control(
        api, "post", f"/orders/{order_id}/cancel", 400, amount="1.00", line_items=[{"position": 1}]
    )
    assert both["error"]["code"] == "ValidationError"
    assert (
        control(api, "post", f"/orders/{order_id}/cancel", 400, amount="abc")["error"]["code"]
        == "InvalidParameterValue"
    )
    assert (
        control(api, "post", f"/orders/{order_id}/cancel", 400, amount="10.01")["error"]["code"]
        == "TransactionAmountExceeded"
    )
    other = SignedApi(app.test_client(), new_merchant(runtime), clock)
    assert control(other, "get", f"/orders/{order_id}", 404)["error"]["code"] == (
        "InvalidOrderReferenceId"
    )
    assert (
        control(api, "put", "/preferences", 400, refund_on_cancel="later")["error"]["code"]
        == "ValidationError"
    )
