"""Deleting an order (in process): money refunded first, the deletion completing once refunds
are final and notifications delivered; afterwards its ids answer as ids that never existed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from gateway.ipn.outbox import deliver_due
from gateway.runtime import Runtime
from gateway.store.models import LineItem, Notification, OrderAdministration, ReferenceId
from gateway.worker.jobs import run_due_work
from tests.admin.helpers import authorized, captured, control, open_order, order, refunds_of


@pytest.fixture(autouse=True)
def _quiet_dispatcher(runtime: Runtime) -> Iterator[None]:
    yield
    pool = runtime.started_dispatcher
    if pool is not None:
        assert pool.wait_idle(30)
        pool.close()


def ids_of(detail) -> dict[str, str]:
    auth = detail["authorizations"][0]
    cap = auth["captures"][0]
    return {
        "order": detail["amazon_order_reference_id"],
        "authorization": auth["amazon_authorization_id"],
        "capture": cap["amazon_capture_id"],
        "refund": cap["refunds"][0]["amazon_refund_id"],
    }


def assert_unknown(api, ids: dict[str, str]) -> None:
    api.error(
        "GetOrderReferenceDetails",
        "InvalidOrderReferenceId",
        404,
        AmazonOrderReferenceId=ids["order"],
    )
    api.error(
        "GetAuthorizationDetails",
        "InvalidTransactionId",
        404,
        AmazonAuthorizationId=ids["authorization"],
    )
    api.error("GetCaptureDetails", "InvalidTransactionId", 404, AmazonCaptureId=ids["capture"])
    api.error("GetRefundDetails", "InvalidTransactionId", 404, AmazonRefundId=ids["refund"])


def count(runtime, model, **where) -> int:
    with runtime.db.session(write=False) as session:
        query = select(func.count()).select_from(model).filter_by(**where)
        return int(session.scalar(query) or 0)


def test_a_draft_order_of_a_merchant_without_ipn_url_goes_at_once(api):
    made = control(
        api,
        "post",
        "/order-references",
        201,
        line_items=[{"sku": "A", "quantity": 1, "unit_price": "5.00"}],
    )
    order_id = made["amazon_order_reference_id"]
    response = api.client.delete(
        f"/sandbox/api/v1/merchants/{api.merchant.seller_id}/orders/{order_id}"
    )
    assert (response.status_code, response.get_json()["state"]) == (200, "Deleted")
    api.error(
        "GetOrderReferenceDetails", "InvalidOrderReferenceId", 404, AmazonOrderReferenceId=order_id
    )
    assert (
        control(api, "get", f"/orders/{order_id}", 404)["error"]["code"]
        == "InvalidOrderReferenceId"
    )


def test_a_paid_order_is_refunded_then_deleted_when_the_refund_settles(api, runtime):
    order_id = captured(api, "70.00")
    control(api, "post", f"/orders/{order_id}/refunds", 201, amount="10.00")
    control(api, "post", "/clock/advance", 200, seconds=5)
    ids = ids_of(order(api, order_id))
    deleting = control(api, "delete", f"/orders/{order_id}", 202)
    assert deleting["state"] == "Deleting"
    assert [r["RefundAmount"]["Amount"] for r in deleting["refunds"]] == ["60.00"]
    assert deleting["waiting_for"] == ["1 Pending refund(s) to settle"]
    # Still there, answering as Amazon would, until the refund is final.
    api.ok("GetOrderReferenceDetails", AmazonOrderReferenceId=order_id)
    assert (
        control(api, "post", f"/orders/{order_id}/cancel", 409)["error"]["code"] == "OrderDeleting"
    )
    assert control(api, "delete", f"/orders/{order_id}", 202)["state"] == "Deleting"
    clock = control(api, "post", "/clock/advance", 200, seconds=5)
    assert clock["applied_transitions"] >= 2  # the refund settled, the deletion completed
    assert_unknown(api, ids)
    assert count(runtime, Notification, object_id=order_id) == 0
    assert count(runtime, OrderAdministration) == 0 and count(runtime, LineItem) == 0
    # Its seller reference ids are free again, as if never used.
    assert count(runtime, ReferenceId) == 0
    other = open_order(api, "5.00")
    again = api.authorize(other, "5.00", "auth-1")
    assert again.status == 200


def test_a_deletion_waits_for_its_notifications_to_be_delivered(api, runtime, receiver):
    control_path = f"/sandbox/api/v1/merchants/{api.merchant.seller_id}"
    assert api.client.patch(control_path, json={"ipn_url": receiver.url}).status_code == 200
    order_id = open_order(api, "20.00")
    authorized(api, order_id, "20.00")
    deliver_due(runtime, wait=True)
    deleting = control(api, "delete", f"/orders/{order_id}", 202)
    # The cancellation's IPNs (order canceled, authorization closed) are not delivered yet.
    assert deleting["waiting_for"] == ["2 notification(s) to deliver"]
    run_due_work(runtime, None)
    api.ok("GetOrderReferenceDetails", AmazonOrderReferenceId=order_id)
    deliver_due(runtime, wait=True)
    run_due_work(runtime, None)
    api.error(
        "GetOrderReferenceDetails", "InvalidOrderReferenceId", 404, AmazonOrderReferenceId=order_id
    )
    kinds = [m for m in receiver.bodies() if b"Canceled" in m]
    assert kinds, "the cancellation's IPN was delivered before the order went"


def test_with_manual_refunds_a_deletion_waits_for_the_refund_made_by_hand(api):
    control(api, "put", "/preferences", 200, refund_on_cancel="manual")
    order_id = captured(api, "30.00")
    deleting = control(api, "delete", f"/orders/{order_id}", 202)
    assert (deleting["refunds"], deleting["owed_amount"]) == ([], "30.00")
    assert deleting["waiting_for"] == ["30.00 USD to refund by hand"]
    control(api, "post", "/clock/advance", 200, seconds=60)
    api.ok("GetOrderReferenceDetails", AmazonOrderReferenceId=order_id)
    control(api, "post", f"/orders/{order_id}/refunds", 201, amount="30.00")
    assert order(api, order_id)["administration"]["waiting_for"] == [
        "1 Pending refund(s) to settle"
    ]
    control(api, "post", "/clock/advance", 200, seconds=5)
    api.error(
        "GetOrderReferenceDetails", "InvalidOrderReferenceId", 404, AmazonOrderReferenceId=order_id
    )


def test_an_order_with_an_open_dispute_is_not_deleted(api):
    order_id = captured(api, "30.00")
    control(api, "post", "/disputes", 201, type="chargeback", amazon_order_reference_id=order_id)
    error = control(api, "delete", f"/orders/{order_id}", 409)
    assert error["error"]["code"] == "DisputeOpen"
    assert refunds_of(order(api, order_id)) == []
