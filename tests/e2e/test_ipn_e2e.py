"""Issue 3 end to end: the official SDK against a real server process, a real receiver on loopback.

A refund is Pending, the merchant's clock moves, GetRefundDetails says Completed (or Declined), and
the PaymentRefund IPN arrives; its signature is checked independently of our code: the
``cryptography`` library over the exact SNS string to sign (reference §2.4), with the certificate
fetched from SigningCertURL.
"""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest
import requests

from clients.ipn import IpnVerifier
from clients.notifications import Notification
from clients.receiver import IpnReceiver, ReceiverServer
from clients.responses import RefundDetails
from tests.support.servers import GatewayServer
from tests.support.sink import Received, envelope, message, verify_sns

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        importlib.util.find_spec("gateway.ipn") is None, reason="IPN delivery not merged yet"
    ),
]
amazon_pay_client = pytest.importorskip("amazon_pay.client")

IPN_NS = "{https://mws.amazonservices.com/ipn/OffAmazonPayments/2013-01-01}"
REJECT = json.dumps({"SandboxSimulation": {"State": "Declined", "ReasonCode": "AmazonRejected"}})


def verify_sns_signature(sns: dict[str, str]) -> None:
    """Independent check, with the certificate fetched from SigningCertURL."""
    verify_sns(sns, requests.get(sns["SigningCertURL"], timeout=10).content)


def refund_status(received: Received) -> tuple[str, str | None, str]:
    root = ElementTree.fromstring(message(received.body)["NotificationData"].encode("utf-8"))
    assert root.tag == IPN_NS + "RefundNotification"
    details = root.find(IPN_NS + "RefundDetails")
    assert details is not None
    state = details.findtext(f"{IPN_NS}RefundStatus/{IPN_NS}State")
    reason = details.findtext(f"{IPN_NS}RefundStatus/{IPN_NS}ReasonCode")
    assert state is not None
    return state, reason, details.findtext(IPN_NS + "RefundType") or ""


class Shop:
    """One merchant driving the official SDK against ``server``."""

    def __init__(self, server: GatewayServer, ipn_url: str, **settings: object) -> None:
        self.server = server
        merchant = server.new_merchant(ipn_url=ipn_url, store_name="e2e", **settings)
        self.seller_id = merchant["seller_id"]
        self.client = amazon_pay_client.AmazonPayClient(
            mws_access_key=merchant["access_key"],
            mws_secret_key=merchant["secret_key"],
            merchant_id=self.seller_id,
            region="us",
            currency_code="USD",
            sandbox=True,
            handle_throttle=False,
        )
        self.client._mws_endpoint = merchant["endpoints"]["offamazon_payments"]
        self.refs = 0

    def ref(self) -> str:
        self.refs += 1
        return f"ref{self.refs}"

    def captured_order(self, amount: str = "100.00") -> tuple[str, str]:
        oro = self.server.sandbox("post", f"/merchants/{self.seller_id}/order-references")[
            "amazon_order_reference_id"
        ]
        assert self.client.set_order_reference_details(
            amazon_order_reference_id=oro, order_total=amount
        ).success
        assert self.client.confirm_order_reference(amazon_order_reference_id=oro).success
        auth = self.client.authorize(
            amazon_order_reference_id=oro,
            authorization_reference_id=self.ref(),
            authorization_amount=amount,
            transaction_timeout=0,
            capture_now=True,
        ).to_dict()["AuthorizeResponse"]["AuthorizeResult"]["AuthorizationDetails"]
        return oro, auth["IdList"]["member"]

    def refund(self, capture_id: str, amount: str, note: str | None = None) -> str:
        response = self.client.refund(
            amazon_capture_id=capture_id,
            refund_reference_id=self.ref(),
            refund_amount=amount,
            seller_refund_note=note,
        )
        assert response.success, response.to_json()
        details = response.to_dict()["RefundResponse"]["RefundResult"]["RefundDetails"]
        assert details["RefundStatus"]["State"] == "Pending"
        refund_id: str = details["AmazonRefundId"]
        return refund_id

    def refund_state(self, refund_id: str) -> tuple[str, str | None]:
        status = self.client.get_refund_details(amazon_refund_id=refund_id).to_dict()[
            "GetRefundDetailsResponse"
        ]["GetRefundDetailsResult"]["RefundDetails"]["RefundStatus"]
        return status["State"], status.get("ReasonCode")

    def advance(self, seconds: float) -> None:
        self.server.sandbox("post", f"/merchants/{self.seller_id}/clock/advance", seconds=seconds)

    def dispute(self, dispute_type: str, oro: str) -> None:
        self.server.sandbox(
            "post",
            f"/merchants/{self.seller_id}/disputes",
            type=dispute_type,
            amazon_order_reference_id=oro,
        )


def is_refund_ipn(refund_id: str) -> object:
    def match(received: Received) -> bool:
        inner = message(received.body)
        return (
            inner["NotificationType"] == "PaymentRefund" and refund_id in inner["NotificationData"]
        )

    return match


@pytest.mark.parametrize("signature_version", ["1", "2"])
def test_refund_completes_and_its_signed_ipn_arrives(
    live_server_with_scheduler, receiver, signature_version
):
    shop = Shop(live_server_with_scheduler, receiver.url, ipn_signature_version=signature_version)
    _, capture_id = shop.captured_order()
    refund_id = shop.refund(capture_id, "10.00")
    shop.advance(10)
    assert shop.refund_state(refund_id) == ("Completed", None)
    received = receiver.next_matching(is_refund_ipn(refund_id))
    sns = envelope(received.body)
    assert sns["SignatureVersion"] == signature_version
    assert "Subject" not in sns
    assert received.headers["x-amz-sns-topic-arn"] == sns["TopicArn"]
    verify_sns_signature(sns)
    inner = message(received.body)
    assert (inner["SellerId"], inner["ReleaseEnvironment"]) == (shop.seller_id, "Sandbox")
    assert refund_status(received) == ("Completed", None, "SellerInitiated")


def test_amazon_rejected_refund_ipn(live_server_with_scheduler, receiver):
    shop = Shop(live_server_with_scheduler, receiver.url)
    _, capture_id = shop.captured_order()
    refund_id = shop.refund(capture_id, "10.00", note=REJECT)
    shop.advance(10)
    assert shop.refund_state(refund_id) == ("Declined", "AmazonRejected")
    received = receiver.next_matching(is_refund_ipn(refund_id))
    verify_sns_signature(envelope(received.body))
    assert refund_status(received)[:2] == ("Declined", "AmazonRejected")


@pytest.mark.parametrize("dispute_type", ["chargeback", "a-to-z-claim"])
def test_processing_failure_after_a_dispute(live_server_with_scheduler, receiver, dispute_type):
    shop = Shop(live_server_with_scheduler, receiver.url)
    oro, capture_id = shop.captured_order()
    shop.dispute(dispute_type, oro)
    refund_id = shop.refund(capture_id, "10.00")
    shop.advance(10)
    assert shop.refund_state(refund_id) == ("Declined", "ProcessingFailure")
    received = receiver.next_matching(is_refund_ipn(refund_id))
    verify_sns_signature(envelope(received.body))
    assert refund_status(received)[:2] == ("Declined", "ProcessingFailure")


def test_a_notification_committed_before_a_sigkill_is_delivered_after_restart(own_server, receiver):
    server = own_server().start()  # no scheduler: nothing delivers
    shop = Shop(server, receiver.url)
    _, capture_id = shop.captured_order()
    refund_id = shop.refund(capture_id, "10.00")
    shop.advance(10)  # the transition and its outbox row commit; nobody delivers them
    assert shop.refund_state(refund_id) == ("Completed", None)
    server.kill()
    own_server(
        data_dir=server.data_dir, database_url=server.database_url, port=server.port, scheduler=True
    ).start()
    received = receiver.next_matching(is_refund_ipn(refund_id))
    verify_sns_signature(envelope(received.body))
    assert refund_status(received)[:2] == ("Completed", None)


# --- a merchant's clock days ahead ----------------------------------------------------------------
# The SNS envelope's Timestamp is the real time of sending (what receivers check for freshness);
# the notified objects carry the merchant's simulated times. Then the clock is reset to real time.

AHEAD = timedelta(days=3)


def refund_notice(refund_id: str) -> object:
    def match(notification: Notification) -> bool:
        details = notification.details
        return isinstance(details, RefundDetails) and details.amazon_refund_id == refund_id

    return match


def test_a_receiver_accepts_ipns_of_a_merchant_days_ahead(
    live_server_with_scheduler: GatewayServer,
) -> None:
    server = live_server_with_scheduler
    # The project's own verifier, with its one-hour age check against the real clock.
    receiver = IpnReceiver(IpnVerifier(allowed_cert_hosts=[server.url]))
    with ReceiverServer(receiver) as endpoint:
        shop = Shop(server, endpoint.url)
        shop.advance(AHEAD.total_seconds())
        _, capture_id = shop.captured_order()
        refund_id = shop.refund(capture_id, "10.00")
        shop.advance(10)
        [notice] = receiver.wait_for(1, timeout=30, predicate=refund_notice(refund_id))  # type: ignore[arg-type]
        assert receiver.rejections == []

        real_now = datetime.now(UTC)
        assert abs(notice.timestamp - real_now) < timedelta(minutes=5)  # sent now
        details = notice.details
        assert isinstance(details, RefundDetails) and details.creation_timestamp is not None
        assert details.creation_timestamp - real_now > AHEAD - timedelta(minutes=5)  # simulated

        clock = server.sandbox("post", f"/merchants/{shop.seller_id}/clock/reset")
        assert (clock["offset_seconds"], clock["frozen"]) == (0, False)
        merchant_now = datetime.strptime(clock["now"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        assert abs(merchant_now - datetime.now(UTC)) < timedelta(minutes=1)
