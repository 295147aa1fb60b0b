"""Issue 3 end to end: the official SDK against a real server process, a real receiver on loopback.

A refund is Pending, the merchant's clock moves, GetRefundDetails says Completed (or Declined), and
the PaymentRefund IPN arrives; its signature is checked independently of our code: the
``cryptography`` library over the exact SNS string to sign (reference §2.4), with the certificate
fetched from SigningCertURL.
"""

from __future__ import annotations

import base64
import importlib.util
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from clients.ipn import IpnVerifier
from clients.notifications import Notification
from clients.receiver import IpnReceiver, ReceiverServer
from clients.responses import RefundDetails
from tests.e2e.servers import LiveServer, Received, Receiver

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        importlib.util.find_spec("gateway.ipn") is None, reason="IPN delivery not merged yet"
    ),
]
amazon_pay_client = pytest.importorskip("amazon_pay.client")

IPN_NS = "{https://mws.amazonservices.com/ipn/OffAmazonPayments/2013-01-01}"
REJECT = json.dumps({"SandboxSimulation": {"State": "Declined", "ReasonCode": "AmazonRejected"}})


def verify_sns_signature(envelope: dict[str, str]) -> None:
    """Independent check: SHA1withRSA (v1) or SHA256withRSA (v2) over the SNS string to sign."""
    keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    string_to_sign = "".join(f"{k}\n{envelope[k]}\n" for k in keys if k in envelope)
    pem = requests.get(envelope["SigningCertURL"], timeout=10).content
    certificate = x509.load_pem_x509_certificate(pem)
    digest = hashes.SHA1() if envelope["SignatureVersion"] == "1" else hashes.SHA256()
    certificate.public_key().verify(  # type: ignore[union-attr, call-arg]
        base64.b64decode(envelope["Signature"]),
        string_to_sign.encode("utf-8"),
        padding.PKCS1v15(),  # type: ignore[arg-type]
        digest,  # type: ignore[arg-type]
    )


def refund_status(received: Received) -> tuple[str, str | None, str]:
    message = received.message()
    root = ElementTree.fromstring(message["NotificationData"].encode("utf-8"))
    assert root.tag == IPN_NS + "RefundNotification"
    details = root.find(IPN_NS + "RefundDetails")
    assert details is not None
    state = details.findtext(f"{IPN_NS}RefundStatus/{IPN_NS}State")
    reason = details.findtext(f"{IPN_NS}RefundStatus/{IPN_NS}ReasonCode")
    assert state is not None
    return state, reason, details.findtext(IPN_NS + "RefundType") or ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path / "data", database_url)
    try:
        yield live.start()
    finally:
        live.stop()


class Shop:
    """One merchant driving the official SDK against ``server``."""

    def __init__(self, server: LiveServer, ipn_url: str, **settings: object) -> None:
        self.server = server
        merchant = server.sandbox(
            "post", "/merchants", ipn_url=ipn_url, store_name="e2e", **settings
        )
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
        message = received.message()
        return (
            message["NotificationType"] == "PaymentRefund"
            and refund_id in message["NotificationData"]
        )

    return match


@pytest.mark.parametrize("signature_version", ["1", "2"])
def test_refund_completes_and_its_signed_ipn_arrives(server, receiver, signature_version):
    shop = Shop(server, receiver.url, ipn_signature_version=signature_version)
    _, capture_id = shop.captured_order()
    refund_id = shop.refund(capture_id, "10.00")
    shop.advance(10)
    assert shop.refund_state(refund_id) == ("Completed", None)
    received = receiver.next_matching(is_refund_ipn(refund_id))
    envelope = received.envelope()
    assert envelope["SignatureVersion"] == signature_version
    assert "Subject" not in envelope
    assert received.headers["x-amz-sns-topic-arn"] == envelope["TopicArn"]
    verify_sns_signature(envelope)
    message = received.message()
    assert (message["SellerId"], message["ReleaseEnvironment"]) == (shop.seller_id, "Sandbox")
    assert refund_status(received) == ("Completed", None, "SellerInitiated")


def test_amazon_rejected_refund_ipn(server, receiver):
    shop = Shop(server, receiver.url)
    _, capture_id = shop.captured_order()
    refund_id = shop.refund(capture_id, "10.00", note=REJECT)
    shop.advance(10)
    assert shop.refund_state(refund_id) == ("Declined", "AmazonRejected")
    received = receiver.next_matching(is_refund_ipn(refund_id))
    verify_sns_signature(received.envelope())
    assert refund_status(received)[:2] == ("Declined", "AmazonRejected")


@pytest.mark.parametrize("dispute_type", ["chargeback", "a-to-z-claim"])
def test_processing_failure_after_a_dispute(server, receiver, dispute_type):
    shop = Shop(server, receiver.url)
    oro, capture_id = shop.captured_order()
    shop.dispute(dispute_type, oro)
    refund_id = shop.refund(capture_id, "10.00")
    shop.advance(10)
    assert shop.refund_state(refund_id) == ("Declined", "ProcessingFailure")
    received = receiver.next_matching(is_refund_ipn(refund_id))
    verify_sns_signature(received.envelope())
    assert refund_status(received)[:2] == ("Declined", "ProcessingFailure")


def test_a_notification_committed_before_a_sigkill_is_delivered_after_restart(
    tmp_path, database_url, receiver
):
    server = LiveServer(tmp_path / "data", database_url, scheduler=False).start()
    try:
        shop = Shop(server, receiver.url)
        _, capture_id = shop.captured_order()
        refund_id = shop.refund(capture_id, "10.00")
        shop.advance(10)  # the transition and its outbox row commit; nobody delivers them
        assert shop.refund_state(refund_id) == ("Completed", None)
        server.kill()
        server.start(scheduler=True)
        received = receiver.next_matching(is_refund_ipn(refund_id))
        verify_sns_signature(received.envelope())
        assert refund_status(received)[:2] == ("Completed", None)
    finally:
        server.stop()


# --- a merchant's clock days ahead ----------------------------------------------------------------
# The SNS envelope's Timestamp is the real time of sending (what receivers check for freshness);
# the notified objects carry the merchant's simulated times. Then the clock is reset to real time.

AHEAD = timedelta(days=3)


def refund_notice(refund_id: str) -> object:
    def match(notification: Notification) -> bool:
        details = notification.details
        return isinstance(details, RefundDetails) and details.amazon_refund_id == refund_id

    return match


def test_a_receiver_accepts_ipns_of_a_merchant_days_ahead(server: LiveServer) -> None:
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
