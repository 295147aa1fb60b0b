"""The ``amazon_pay_sandbox`` fixture (loaded through the pytest11 entry point)."""

from __future__ import annotations

import importlib.util
from decimal import Decimal

import pytest
import requests

from clients import AmazonPayError, Notification, Price, RefundDetails
from gateway.testing import AmazonPaySandbox


def test_fixture_gives_a_working_merchant(amazon_pay_sandbox: AmazonPaySandbox) -> None:
    sandbox = amazon_pay_sandbox
    client = sandbox.client
    order_id = sandbox.open_order("50.00")
    assert client.get_order_reference_details(order_id).status.state == "Open"
    capture = sandbox.completed_capture("50.00")
    assert capture.status.state == "Completed"
    refund = client.refund(capture.amazon_capture_id, "r-1", Decimal("5.00"), "USD")
    assert refund.status.state == "Pending"

    clock = sandbox.advance_clock(3600)
    assert clock["offset_seconds"] == 3600  # due work may run here or in the background sweep
    settled = client.get_refund_details(refund.amazon_refund_id)
    assert settled.status.state == "Completed"
    assert settled.refund_amount == Price(Decimal("5.00"), "USD")


def test_each_test_gets_a_fresh_merchant(amazon_pay_sandbox: AmazonPaySandbox) -> None:
    merchant = amazon_pay_sandbox.configure(settle_delay_seconds=7)
    assert merchant["seller_id"] == amazon_pay_sandbox.seller_id
    assert merchant["ipn_url"] == amazon_pay_sandbox.receiver_url
    assert merchant["settle_delay_seconds"] == 7
    with pytest.raises(AmazonPayError) as info:
        amazon_pay_sandbox.client.get_order_reference_details("S01-0000000-0000000")
    assert info.value.type == "Sender"


@pytest.mark.sdk
def test_sdk_client_helper(amazon_pay_sandbox: AmazonPaySandbox) -> None:
    pytest.importorskip("amazon_pay")
    order_id = amazon_pay_sandbox.new_order()
    answer = amazon_pay_sandbox.sdk_client().get_order_reference_details(
        amazon_order_reference_id=order_id
    )
    assert answer.success, answer.to_json()


def test_run_due_work_helper(amazon_pay_sandbox: AmazonPaySandbox) -> None:
    assert amazon_pay_sandbox.run_due_work() == 0


def test_notifications_start_empty(amazon_pay_sandbox: AmazonPaySandbox) -> None:
    assert amazon_pay_sandbox.notifications == []
    with pytest.raises(TimeoutError):
        amazon_pay_sandbox.wait(1, timeout=0.01)


@pytest.mark.skipif(
    importlib.util.find_spec("gateway.ipn") is None, reason="IPN delivery not merged yet"
)
@pytest.mark.parametrize("signature_version", ["1", "2"])
def test_refund_ipn_arrives_verified(
    amazon_pay_sandbox: AmazonPaySandbox, signature_version: str
) -> None:
    sandbox = amazon_pay_sandbox
    sandbox.configure(ipn_signature_version=signature_version)
    client = sandbox.client
    capture = sandbox.completed_capture("30.00")
    refund = client.refund(capture.amazon_capture_id, "r-ipn", "3.00", "USD")
    sandbox.advance_clock(3600)

    def is_refund(note: Notification) -> bool:
        return isinstance(note.details, RefundDetails) and (
            note.details.amazon_refund_id == refund.amazon_refund_id
        )

    (note,) = sandbox.wait(1, timeout=15, predicate=is_refund)
    assert note.notification_type == "PaymentRefund"
    assert note.seller_id == sandbox.seller_id
    assert isinstance(note.details, RefundDetails)
    assert note.details.status.state == "Completed"
    assert sandbox.receiver.rejections == []


def test_the_fixtures_control_api_requires_a_token_and_the_fixture_sends_its_own(
    amazon_pay_sandbox,
):
    sandbox = amazon_pay_sandbox
    api = f"{sandbox.base_url}/sandbox/api/v1"
    refused = requests.get(f"{api}/merchants/{sandbox.seller_id}/clock", timeout=10)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "TokenRequired"
    assert sandbox.control("GET", "/clock")["frozen"] is False
    own = {"Authorization": f"Bearer {sandbox.api_token}"}
    listed = requests.get(f"{api}/merchants", headers=own, timeout=10).json()["items"]
    assert [m["seller_id"] for m in listed] == [sandbox.seller_id]
    made = requests.post(f"{api}/merchants", json={}, headers=own, timeout=10)
    assert made.status_code == 403
