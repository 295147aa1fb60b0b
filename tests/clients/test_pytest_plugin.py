"""The ``amazon_pay_sandbox`` fixture (loaded through the pytest11 entry point).

Most of it is shown as a user sees it: test files run by pytester in a pytest session of their
own, in which the plugin is loaded by its entry point, as in any project that installs this one.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from clients import AmazonPayError, Notification, Price
from gateway.testing import RECEIVERS_URL, SANDBOX_URL, AmazonPaySandbox

pytest_plugins = ["pytester"]

#: The whole flow through the official SDK, in process: what docs/client-toolkit.md shows.
SDK_FLOW = """
from clients import RefundDetails


def result(answer, operation):
    assert answer.success, answer.to_xml()
    return answer.to_dict()[f"{operation}Response"][f"{operation}Result"]


def test_checkout_to_refund(amazon_pay_sandbox):
    sandbox = amazon_pay_sandbox
    sdk = sandbox.sdk  # the official amazon_pay client, pointed at this merchant
    oro = sandbox.new_order()
    assert sdk.set_order_reference_details(amazon_order_reference_id=oro,
                                           order_total="30.00").success
    assert sdk.confirm_order_reference(amazon_order_reference_id=oro).success
    auth = result(sdk.authorize(amazon_order_reference_id=oro, authorization_reference_id="a",
                                authorization_amount="30.00", transaction_timeout=0), "Authorize")
    auth_id = auth["AuthorizationDetails"]["AmazonAuthorizationId"]
    cap = result(sdk.capture(amazon_authorization_id=auth_id, capture_reference_id="c",
                             capture_amount="30.00"), "Capture")
    refund = result(sdk.refund(amazon_capture_id=cap["CaptureDetails"]["AmazonCaptureId"],
                               refund_reference_id="r", refund_amount="5.00"), "Refund")
    refund_id = refund["RefundDetails"]["AmazonRefundId"]
    assert refund["RefundDetails"]["RefundStatus"]["State"] == "Pending"
    sandbox.advance_clock(60)  # settles before it returns
    [note] = sandbox.wait(1, predicate=lambda n: isinstance(n.details, RefundDetails))
    assert note.details.amazon_refund_id == refund_id
    assert note.details.status.state == "Completed"
    assert sandbox.receiver.rejections == []
"""


@pytest.mark.sdk
def test_a_whole_sdk_flow_runs_in_process_without_a_socket(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
import socket

import pytest


@pytest.fixture(autouse=True)
def no_sockets(monkeypatch, amazon_pay_sandbox_server):
    # Started first (the server needs none either); then no test may open a connection.
    def refuse(*args, **kwargs):
        raise AssertionError(f"a socket was opened: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
"""
    )
    pytester.makepyfile(test_flow=SDK_FLOW)
    pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_server_starts_once_and_each_test_has_a_merchant_of_its_own(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_isolation="""
import pytest

seen = []


@pytest.mark.parametrize("n", range(3))
def test_merchant(amazon_pay_sandbox, amazon_pay_sandbox_server, n):
    sandbox = amazon_pay_sandbox
    seen.append((id(amazon_pay_sandbox_server), id(sandbox.runtime), sandbox.seller_id))
    assert sandbox.runtime is amazon_pay_sandbox_server.runtime
    # A clock of its own: the previous tests' advances do not show here.
    assert sandbox.control("GET", "/clock")["offset_seconds"] == 0
    sandbox.advance_clock(3600 * (n + 1))
    assert sandbox.notifications == []
    with pytest.raises(TimeoutError):
        sandbox.wait(1, timeout=0.01)


def test_all_distinct():
    assert len({server for server, _, _ in seen}) == 1
    assert len({runtime for _, runtime, _ in seen}) == 1
    assert len({seller for _, _, seller in seen}) == 3
"""
    )
    pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider").assert_outcomes(passed=4)


def test_after_its_test_a_merchant_sends_nothing_more(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_retire="""
from gateway.store import merchants

left = {}


def test_leaves_notifications_behind(amazon_pay_sandbox):
    sandbox = amazon_pay_sandbox
    capture = sandbox.completed_capture("10.00")
    sandbox.client.refund(capture.amazon_capture_id, "r", "1.00", "USD")
    sandbox.advance_clock(60)  # its IPNs are due, and the test ends without waiting
    left.update(seller=sandbox.seller_id, url=sandbox.receiver_url)


def test_the_previous_merchant_is_retired(amazon_pay_sandbox, amazon_pay_sandbox_server):
    runtime = amazon_pay_sandbox_server.runtime
    record = runtime.db.run(lambda s: merchants.by_seller_id(s, left["seller"]), write=False)
    assert record.ipn_url is None  # what it still had to send is parked, not signed for nobody
    assert amazon_pay_sandbox_server.network.app_for(left["url"]) is None
    amazon_pay_sandbox.deliver()
    amazon_pay_sandbox.wait(0)
"""
    )
    pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_the_receiver_refuses_what_the_simulator_did_not_sign(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_forged="""
import json


def test_forged(amazon_pay_sandbox):
    sandbox = amazon_pay_sandbox
    capture = sandbox.completed_capture("10.00")
    genuine = sandbox.wait(3)  # the authorization's two IPNs and the capture's
    assert sorted(n.details.status.state for n in genuine) == ["Closed", "Completed", "Open"]
    forged = {"Type": "Notification", "MessageId": "m", "TopicArn": "t", "Message": "{}",
              "Timestamp": "2026-01-01T00:00:00.000Z", "SignatureVersion": "1",
              "Signature": "AAAA", "SigningCertURL": "http://elsewhere.invalid/cert.pem"}
    answer = sandbox.http.post(sandbox.receiver_url, data=json.dumps(forged),
                               headers={"x-amz-sns-message-type": "Notification",
                                        "x-amz-sns-topic-arn": "t"})
    assert answer.status_code == 400
    assert len(sandbox.receiver.rejections) == 1
    assert capture.status.state == "Completed"
"""
    )
    pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider").assert_outcomes(passed=1)


# --- the fixture used directly in this session ---------------------------------------------------


def test_its_urls_are_in_process_only(amazon_pay_sandbox: AmazonPaySandbox) -> None:
    assert amazon_pay_sandbox.base_url == SANDBOX_URL
    assert amazon_pay_sandbox.receiver_url.startswith(RECEIVERS_URL)
    assert SANDBOX_URL.endswith(".invalid") and RECEIVERS_URL.endswith(".invalid")
    assert amazon_pay_sandbox.control("GET", "")["ipn_url"] == amazon_pay_sandbox.receiver_url


def test_the_typed_client_and_a_settled_refund(amazon_pay_sandbox: AmazonPaySandbox) -> None:
    sandbox = amazon_pay_sandbox
    client = sandbox.client
    capture = sandbox.completed_capture("50.00")
    assert capture.status.state == "Completed"
    refund = client.refund(capture.amazon_capture_id, "r-1", Decimal("5.00"), "USD")
    assert refund.status.state == "Pending"
    clock = sandbox.advance_clock(3600)
    assert clock["offset_seconds"] == 3600
    settled = client.get_refund_details(refund.amazon_refund_id)
    assert settled.status.state == "Completed"
    assert settled.refund_amount == Price(Decimal("5.00"), "USD")


def test_the_control_api_requires_a_token_and_the_fixture_sends_its_own(
    amazon_pay_sandbox: AmazonPaySandbox,
) -> None:
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


def test_settings_and_errors(amazon_pay_sandbox: AmazonPaySandbox) -> None:
    merchant = amazon_pay_sandbox.configure(settle_delay_seconds=7)
    assert merchant["settle_delay_seconds"] == 7
    with pytest.raises(AmazonPayError) as info:
        amazon_pay_sandbox.client.get_order_reference_details("S01-0000000-0000000")
    assert info.value.type == "Sender"


def test_run_due_work_and_deliver_with_nothing_due(amazon_pay_sandbox: AmazonPaySandbox) -> None:
    assert amazon_pay_sandbox.run_due_work() == 0
    assert amazon_pay_sandbox.deliver() == 0


@pytest.mark.parametrize("signature_version", ["1", "2"])
def test_ipns_arrive_verified_in_both_signature_versions(
    amazon_pay_sandbox: AmazonPaySandbox, signature_version: str
) -> None:
    sandbox = amazon_pay_sandbox
    sandbox.configure(ipn_signature_version=signature_version)
    sandbox.completed_capture("30.00")
    notes = sandbox.wait(3)  # authorization Open, then Closed/MaxCapturesProcessed; capture
    assert {n.notification_type for n in notes} == {"PaymentAuthorize", "PaymentCapture"}
    assert all(isinstance(n, Notification) and n.seller_id == sandbox.seller_id for n in notes)
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


def test_throttling_a_fixture_merchant(amazon_pay_sandbox: AmazonPaySandbox) -> None:
    amazon_pay_sandbox.control("POST", "/clock/freeze")
    assert amazon_pay_sandbox.throttle("sandbox")["mode"] == "sandbox"
    sdk = amazon_pay_sandbox.sdk
    assert sdk.get_service_status().success and sdk.get_service_status().success
    throttled = sdk.get_service_status()
    assert throttled.to_dict()["ErrorResponse"]["Error"]["Code"] == "RequestThrottled"
    amazon_pay_sandbox.advance_clock(300)
    assert sdk.get_service_status().success
