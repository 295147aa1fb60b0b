"""Amazon's documented behaviours through the official ``amazon_pay`` SDK, unchanged, against a
real ``gateway serve`` (its scheduler delivering IPNs to a verifying receiver on loopback): a
capture closed by its refunds, sandbox and live authorization lifetimes, refund
ProcessingFailure with Amazon's advice. Time moves on the merchant's clock; nothing sleeps.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from clients import (
    AuthorizationDetails,
    CaptureDetails,
    IpnReceiver,
    IpnVerifier,
    Notification,
    RefundDetails,
)
from clients.receiver import ReceiverServer
from clients.sdk import mws_endpoint
from tests.support.servers import GatewayServer

pytestmark = [pytest.mark.e2e, pytest.mark.sdk]

DAY = 24 * 3600


def result(response: Any) -> dict[str, Any]:
    assert response.success, response.to_xml()
    (root,) = response.to_dict().values()
    found: dict[str, Any] = next(v for k, v in root.items() if k.endswith("Result"))
    return found


def error_code(response: Any) -> str:
    assert not response.success, response.to_xml()
    code: str = response.to_dict()["ErrorResponse"]["Error"]["Code"]
    return code


class Shop:
    """One merchant: the official client, the sandbox API, and its verified IPNs."""

    def __init__(self, server: GatewayServer, receiver: IpnReceiver[Notification], url: str) -> None:
        self.server, self.receiver = server, receiver
        self.merchant = server.new_merchant(store_name="fidelity", ipn_url=url)
        self.seller_id = self.merchant["seller_id"]
        self.client = server.sdk(self.merchant)
        self.refs = 0

    def ref(self, prefix: str) -> str:
        self.refs += 1
        return f"{prefix}-{self.refs}"

    def authorization(self, amount: str, client: Any = None) -> dict[str, Any]:
        client = client or self.client
        order_id = self.server.new_order(self.seller_id)
        assert client.set_order_reference_details(
            amazon_order_reference_id=order_id, order_total=amount
        ).success
        assert client.confirm_order_reference(amazon_order_reference_id=order_id).success
        answer = client.authorize(
            amazon_order_reference_id=order_id,
            authorization_reference_id=self.ref("auth"),
            authorization_amount=amount,
            transaction_timeout=0,
        )
        details: dict[str, Any] = result(answer)["AuthorizationDetails"]
        return details

    def capture(self, amount: str) -> str:
        auth_id = self.authorization(amount)["AmazonAuthorizationId"]
        answer = self.client.capture(
            amazon_authorization_id=auth_id,
            capture_reference_id=self.ref("cap"),
            capture_amount=amount,
        )
        return str(result(answer)["CaptureDetails"]["AmazonCaptureId"])

    def refund(self, capture_id: str, amount: str, **kw: Any) -> Any:
        return self.client.refund(
            amazon_capture_id=capture_id,
            refund_reference_id=kw.pop("ref", None) or self.ref("refund"),
            refund_amount=amount,
            **kw,
        )

    def refund_id(self, capture_id: str, amount: str, **kw: Any) -> str:
        return str(result(self.refund(capture_id, amount, **kw))["RefundDetails"]["AmazonRefundId"])

    def capture_status(self, capture_id: str) -> dict[str, Any]:
        status: dict[str, Any] = result(self.client.get_capture_details(capture_id))[
            "CaptureDetails"
        ]["CaptureStatus"]
        return status

    def refund_status(self, refund_id: str) -> dict[str, Any]:
        status: dict[str, Any] = result(self.client.get_refund_details(refund_id))["RefundDetails"][
            "RefundStatus"
        ]
        return status

    def advance(self, seconds: float) -> None:
        self.server.advance_clock(self.seller_id, seconds)

    def configure(self, **settings: Any) -> dict[str, Any]:
        changed: dict[str, Any] = self.server.sandbox(
            "PATCH", f"/merchants/{self.seller_id}", **settings
        )
        return changed

    def notified(self, predicate: Callable[[Notification], bool]) -> Notification:
        (found,) = self.receiver.wait_for(1, timeout=15, predicate=predicate)
        return found


@pytest.fixture
def shop(live_server_with_scheduler: GatewayServer) -> Iterator[Shop]:
    server = live_server_with_scheduler
    # The project's own verifier, every check made: certificates from the simulator's host.
    receiver = IpnReceiver(IpnVerifier(allowed_cert_hosts=[server.url]))
    with ReceiverServer(receiver) as receiving:
        yield Shop(server, receiver, receiving.url)


def capture_closed(capture_id: str) -> Callable[[Notification], bool]:
    def match(note: Notification) -> bool:
        details = note.details
        return (
            isinstance(details, CaptureDetails)
            and details.amazon_capture_id == capture_id
            and details.status.state == "Closed"
        )

    return match


def refund_settled(refund_id: str) -> Callable[[Notification], bool]:
    def match(note: Notification) -> bool:
        details = note.details
        return isinstance(details, RefundDetails) and details.amazon_refund_id == refund_id

    return match


def test_the_tenth_refund_closes_the_capture_with_its_ipn(shop: Shop) -> None:
    capture_id = shop.capture("100.00")
    for _ in range(10):
        shop.refund_id(capture_id, "1.00")
    assert shop.capture_status(capture_id)["State"] == "Completed"
    assert error_code(shop.refund(capture_id, "1.00")) == "TransactionCountExceeded"
    shop.advance(5)
    status = shop.capture_status(capture_id)
    assert (status["State"], status["ReasonCode"]) == ("Closed", "MaxRefundsProcessed")
    assert "Ten refunds" in status["ReasonDescription"]
    note = shop.notified(capture_closed(capture_id))
    assert note.notification_type == "PaymentCapture"
    assert isinstance(note.details, CaptureDetails)
    assert note.details.status.reason_code == "MaxRefundsProcessed"
    assert note.details.status.reason_description == status["ReasonDescription"]
    assert len(note.details.id_list) == 10
    assert error_code(shop.refund(capture_id, "1.00")) == "CaptureNotRefundable"


def test_refunding_the_most_closes_the_capture_max_amount_refunded(shop: Shop) -> None:
    capture_id = shop.capture("100.00")
    shop.refund_id(capture_id, "100.00")
    shop.advance(5)
    assert shop.capture_status(capture_id)["State"] == "Completed"
    shop.refund_id(capture_id, "15.00")  # 15 % over the captured amount: the most
    shop.advance(5)
    status = shop.capture_status(capture_id)
    assert (status["State"], status["ReasonCode"]) == ("Closed", "MaxAmountRefunded")
    note = shop.notified(capture_closed(capture_id))
    assert isinstance(note.details, CaptureDetails)
    assert note.details.status.reason_code == "MaxAmountRefunded"
    assert note.details.refunded_amount is not None
    assert str(note.details.refunded_amount.amount) in ("115", "115.0", "115.00")


def _expiry(details: dict[str, Any]) -> float:
    created = datetime.fromisoformat(details["CreationTimestamp"].replace("Z", "+00:00"))
    expires = datetime.fromisoformat(details["ExpirationTimestamp"].replace("Z", "+00:00"))
    return (expires - created).total_seconds()


def test_authorizations_live_two_days_on_the_sandbox_path_thirty_on_the_live_one(
    shop: Shop,
) -> None:
    live = shop.server.sdk(shop.merchant)
    live._mws_endpoint = mws_endpoint(shop.server.url, sandbox=False)
    sandboxed = shop.authorization("10.00")
    lived = shop.authorization("10.00", client=live)
    assert (_expiry(sandboxed), _expiry(lived)) == (2 * DAY, 30 * DAY)
    shop.advance(2 * DAY)
    for client, details, state in ((shop.client, sandboxed, "Closed"), (live, lived, "Open")):
        auth_id = details["AmazonAuthorizationId"]
        status = result(client.get_authorization_details(auth_id))["AuthorizationDetails"][
            "AuthorizationStatus"
        ]
        assert status["State"] == state
    late = shop.client.capture(
        amazon_authorization_id=sandboxed["AmazonAuthorizationId"],
        capture_reference_id=shop.ref("late"),
        capture_amount="10.00",
    )
    assert error_code(late) == "InvalidAuthorizationStatus"
    in_time = live.capture(
        amazon_authorization_id=lived["AmazonAuthorizationId"],
        capture_reference_id=shop.ref("in-time"),
        capture_amount="10.00",
    )
    assert result(in_time)["CaptureDetails"]["CaptureStatus"]["State"] == "Completed"
    closed = shop.notified(
        lambda n: isinstance(n.details, AuthorizationDetails) and n.details.status.state == "Closed"
    )
    assert isinstance(closed.details, AuthorizationDetails)
    assert closed.details.status.reason_code == "ExpiredUnused"
    assert "2 days in the sandbox" in (closed.details.status.reason_description or "")


def test_a_refund_declined_processing_failure_says_to_retry_and_the_retry_succeeds(
    shop: Shop,
) -> None:
    assert shop.configure(refund_processing_failures=1)["refund_processing_failures"] == 1
    capture_id = shop.capture("50.00")
    failed = shop.refund_id(capture_id, "50.00")
    shop.advance(5)
    status = shop.refund_status(failed)
    assert (status["State"], status["ReasonCode"]) == ("Declined", "ProcessingFailure")
    advice = status["ReasonDescription"]
    assert "chargeback" in advice and "one to two minutes" in advice
    note = shop.notified(refund_settled(failed))
    assert isinstance(note.details, RefundDetails)
    assert note.details.status.reason_description == advice
    # What the advice says to check: no dispute, and the capture still Completed; then retry.
    assert shop.capture_status(capture_id)["State"] == "Completed"
    shop.advance(60)
    retried = shop.refund_id(capture_id, "50.00")
    shop.advance(5)
    assert shop.refund_status(retried)["State"] == "Completed"


def test_the_processing_failure_simulation_string(shop: Shop) -> None:
    capture_id = shop.capture("20.00")
    note = json.dumps(
        {"SandboxSimulation": {"State": "Declined", "ReasonCode": "ProcessingFailure"}}
    )
    failed = shop.refund_id(capture_id, "5.00", seller_refund_note=note)
    shop.advance(5)
    assert shop.refund_status(failed)["ReasonCode"] == "ProcessingFailure"
