"""Each notification type has the structure of Amazon's sample IPNs (keys and element paths)."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

import pytest

from tests.helpers import DATA
from tests.ipn.flows import element_paths, every_type
from tests.support.sink import envelope, message

SAMPLES = DATA / "amazon-pay-samples" / "ipn"
IPN_NAMESPACE = "https://mws.amazonservices.com/ipn/OffAmazonPayments/2013-01-01"
SAMPLE_FILES = {
    "OrderReferenceNotification": "OrderReferenceNotification.json",
    "PaymentAuthorize": "AuthorizeNotification.json",
    "PaymentCapture": "CaptureNotification.json",
    "PaymentRefund": "RefundNotification.json",
    "Chargeback Detailed Notification": "ChargebackNotification_Service.json",
}
#: Elements the API may add when set, or that the samples show only in some states
#: (reference/amazon-wire.md §2.3: "the API fields plus ..."); matched as path endings.
OPTIONAL = (
    "/ReasonCode",
    "/ReasonDescription",
    "/SellerAuthorizationNote",
    "/SellerCaptureNote",
    "/SellerRefundNote",
    "/SoftDecline",
    "/IdList/member",
    "/SellerOrderAttributes/SellerOrderId",
    "/SellerOrderAttributes/StoreName",
    "/SellerOrderAttributes/CustomInformation",
    "/SellerOrderAttributes/SupplementaryData",
)


def _sample(notification_type: str) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads((SAMPLES / SAMPLE_FILES[notification_type]).read_text())
    return parsed


def _optional(path: str) -> bool:
    return any(path.endswith(ending) for ending in OPTIONAL)


@pytest.fixture
def delivered(api, runtime, clock, receiver, configure, deliver):
    configure(ipn_url=receiver.url)
    ids = every_type(api, runtime, clock)
    deliver()
    by_type: dict[str, list[bytes]] = {}
    for body in receiver.bodies():
        by_type.setdefault(message(body)["NotificationType"], []).append(body)
    return ids, by_type


def test_every_type_is_delivered(delivered):
    _, by_type = delivered
    assert set(by_type) == set(SAMPLE_FILES)


@pytest.mark.parametrize("notification_type", sorted(SAMPLE_FILES))
def test_envelope_and_message_keys_match_the_sample(delivered, notification_type):
    sample = _sample(notification_type)
    bodies = delivered[1][notification_type]
    assert bodies
    for body in bodies:
        ours = envelope(body)
        assert list(ours) == list(sample)  # same keys, same order; no Subject
        assert "Subject" not in ours
        assert ours["Type"] == "Notification"
        assert ours["SignatureVersion"] == "1"
        # IsSample marks Seller Central's test notifications only (reference §2.3).
        assert set(message(body)) == set(json.loads(sample["Message"])) - {"IsSample"}
        inner = message(body)
        assert inner["ReleaseEnvironment"] == "Sandbox"
        assert inner["Version"] == "2013-01-01"


@pytest.mark.parametrize("notification_type", sorted(SAMPLE_FILES))
def test_notification_data_has_the_sample_elements(delivered, notification_type):
    sample_xml = json.loads(_sample(notification_type)["Message"])["NotificationData"]
    expected = element_paths(sample_xml)
    bodies = delivered[1][notification_type]
    assert bodies
    for body in bodies:
        data = message(body)["NotificationData"]
        assert data.startswith('<?xml version="1.0" encoding="UTF-8"?>')
        root = ElementTree.fromstring(data.encode())
        assert root.tag == f"{{{IPN_NAMESPACE}}}{sample_xml.split('<')[2].split()[0]}"
        ours = element_paths(data)
        missing = {p for p in expected - ours if not _optional(p)}
        extra = {p for p in ours - expected if not _optional(p)}
        assert not missing, f"missing {sorted(missing)}"
        assert not extra, f"not in Amazon's sample: {sorted(extra)}"


def test_status_is_the_state_at_the_change(delivered):
    ids, by_type = delivered
    states = []
    for body in by_type["PaymentAuthorize"]:
        root = ElementTree.fromstring(message(body)["NotificationData"].encode())
        ns = {"n": IPN_NAMESPACE}
        assert (
            root.findtext("n:AuthorizationDetails/n:AmazonAuthorizationId", namespaces=ns)
            == (ids["authorization"])
        )
        states.append(
            root.findtext("n:AuthorizationDetails/n:AuthorizationStatus/n:State", namespaces=ns)
        )
    # Open when authorized, Closed when the order was closed: each IPN keeps its own state.
    assert states == ["Open", "Closed"]


def test_amounts_are_written_like_amazon_ipn_amounts(delivered):
    _, by_type = delivered
    (body,) = by_type["PaymentRefund"]
    root = ElementTree.fromstring(message(body)["NotificationData"].encode())
    ns = {"n": IPN_NAMESPACE}
    assert root.findtext("n:RefundDetails/n:RefundAmount/n:Amount", namespaces=ns) == "10.5"
    assert root.findtext("n:RefundDetails/n:FeeRefunded/n:Amount", namespaces=ns) == "0.0"
    assert root.findtext("n:RefundDetails/n:RefundStatus/n:State", namespaces=ns) == "Completed"


def test_headers_are_the_sns_headers(delivered, receiver):
    assert len(receiver.received) >= len(SAMPLE_FILES)  # at least one of each type
    for received in receiver.received:
        body = envelope(received.body)
        headers = {k.lower(): v for k, v in received.headers.items()}
        assert headers["x-amz-sns-message-type"] == "Notification"
        assert headers["x-amz-sns-message-id"] == body["MessageId"]
        assert headers["x-amz-sns-topic-arn"] == body["TopicArn"]
        assert headers["x-amz-sns-subscription-arn"].startswith(body["TopicArn"] + ":")
        assert headers["content-type"] == "text/plain; charset=UTF-8"
        assert headers["user-agent"] == "Amazon Simple Notification Service Agent"
        seller = message(received.body)["SellerId"]
        assert body["TopicArn"].startswith("arn:aws:sns:us-east-1:")
        assert body["TopicArn"].endswith(seller)
