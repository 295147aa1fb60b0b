"""IPN v2 (clients/amazon_pay_v2/ipn.py): SNS envelopes signed by the test signer, whose Message
is the v2 JSON; parsing, verification (the SNS checks shared with v1), both kinds at one endpoint,
the receiver, and fetching the named object."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from clients.amazon_pay_v2.ipn import (
    AnyIpnVerifier,
    IpnV2Verifier,
    NotificationV2,
    parse_notification_v2,
)
from clients.errors import IpnVerificationError
from clients.notifications import Notification
from clients.receiver import IpnReceiver, ReceiverServer
from tests.clients.sns_signer import NOW, TOPIC, SnsSigner
from tests.clients.test_v2_client import FakeV2, make_client

SIMULATOR_CERT_URL = "http://127.0.0.1:8080/sandbox/ipn-certificate.pem"


def v2_message(**changes: Any) -> str:
    message: dict[str, Any] = {
        "MerchantID": "A2SANDBOXSELLER",
        "ObjectType": "REFUND",
        "ObjectId": "S01-5105180-3221187-R022311",
        "ChargePermissionId": "S01-5105180-3221187",
        "NotificationType": "STATE_CHANGE",
        "NotificationId": "a5b9a1b4-5f33-4d0d-9ec7-7a0b2f0c1d5e",
        "NotificationVersion": "V2",
    }
    message.update(changes)
    return json.dumps({k: v for k, v in message.items() if v is not None})


@pytest.fixture
def signer() -> SnsSigner:
    return SnsSigner()


def test_a_verified_ipn_v2_is_parsed(signer: SnsSigner) -> None:
    env = signer.envelope(message=v2_message(), version="2")
    note = IpnV2Verifier(fetch_certificate=signer.fetch, now=lambda: NOW).verify(
        signer.body(env), signer.headers(env)
    )
    assert note == NotificationV2(
        message_id=env["MessageId"],
        topic_arn=TOPIC,
        timestamp=note.timestamp,
        merchant_id="A2SANDBOXSELLER",
        object_type="REFUND",
        object_id="S01-5105180-3221187-R022311",
        charge_permission_id="S01-5105180-3221187",
        notification_type="STATE_CHANGE",
        notification_id="a5b9a1b4-5f33-4d0d-9ec7-7a0b2f0c1d5e",
        notification_version="V2",
    )
    assert note.timestamp.isoformat() == "2026-11-22T11:59:59.500000+00:00"
    assert note.message["ObjectType"] == "REFUND"


def test_keys_are_read_case_insensitively() -> None:
    # An older version of Amazon's page spells the keys in camelCase (merchantID, objectType ...).
    message = json.loads(v2_message())
    lowered = {k[0].lower() + k[1:]: v for k, v in message.items()}
    envelope = SnsSigner().envelope(message=json.dumps(lowered))
    assert parse_notification_v2(envelope).merchant_id == "A2SANDBOXSELLER"


@pytest.mark.parametrize(
    ("message", "detail"),
    [
        (v2_message(NotificationVersion="V1"), "not V2"),
        (v2_message(ObjectId=None), "lacks ObjectId"),
        (v2_message(MerchantID=""), "lacks MerchantID"),
        ("[1, 2]", "not a JSON object"),
        ("{not json", "Expecting property name"),
    ],
)
def test_malformed_messages(signer: SnsSigner, message: str, detail: str) -> None:
    env = signer.envelope(message=message)
    verifier = IpnV2Verifier(fetch_certificate=signer.fetch, now=lambda: NOW)
    with pytest.raises(IpnVerificationError) as err:
        verifier.verify(signer.body(env), signer.headers(env))
    assert err.value.reason == "malformed"
    assert detail in err.value.detail


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ({"Message": v2_message(ObjectId="S01-0000000-0000000-R000001")}, "bad_signature"),
        ({"TopicArn": "arn:aws:sns:us-east-1:1:other"}, "bad_signature"),
        ({"SigningCertURL": SIMULATOR_CERT_URL}, "certificate_url_not_allowed"),
    ],
)
def test_the_sns_checks_apply(signer: SnsSigner, tamper: dict[str, str], reason: str) -> None:
    env = signer.envelope(message=v2_message(), **tamper)
    headers = {**signer.headers(env), "x-amz-sns-topic-arn": env["TopicArn"]}
    with pytest.raises(IpnVerificationError) as err:
        IpnV2Verifier(fetch_certificate=signer.fetch, now=lambda: NOW).verify(
            signer.body(env), headers
        )
    assert err.value.reason == reason


def test_the_simulators_certificate_url_is_trusted_when_named(signer: SnsSigner) -> None:
    env = signer.envelope(message=v2_message(), cert_url=SIMULATOR_CERT_URL)
    verifier = IpnV2Verifier(["127.0.0.1:8080"], signer.fetch, now=lambda: NOW)
    assert verifier.verify(signer.body(env), signer.headers(env)).object_type == "REFUND"
    assert signer.fetched == [SIMULATOR_CERT_URL]


def test_one_endpoint_for_both_kinds(signer: SnsSigner) -> None:
    verifier = AnyIpnVerifier(fetch_certificate=signer.fetch, now=lambda: NOW)
    receiver: IpnReceiver[Notification | NotificationV2] = IpnReceiver(verifier)
    with ReceiverServer(receiver) as server:
        for env in (
            signer.envelope(message=v2_message(), message_id="m-v2"),
            signer.envelope(message_id="m-v1"),  # an Off-Amazon Payments refund IPN
            signer.envelope(message=v2_message(), message_id="m-v2"),  # SNS delivered twice
        ):
            answer = requests.post(
                server.url, data=signer.body(env), headers=signer.headers(env), timeout=5
            )
            assert answer.status_code == 200
        v2, v1 = receiver.wait_for(2, timeout=5)
    assert isinstance(v2, NotificationV2) and v2.object_id.endswith("-R022311")
    assert isinstance(v1, Notification) and v1.notification_type == "PaymentRefund"
    assert receiver.duplicates == 1


def test_a_v1_ipn_is_not_an_ipn_v2(signer: SnsSigner) -> None:
    env = signer.envelope()
    with pytest.raises(IpnVerificationError, match="NotificationVersion"):
        IpnV2Verifier(fetch_certificate=signer.fetch, now=lambda: NOW).verify(
            signer.body(env), signer.headers(env)
        )


@pytest.mark.parametrize(
    ("object_type", "path"),
    [("REFUND", "refunds"), ("CHARGE", "charges"), ("CHARGE_PERMISSION", "chargePermissions")],
)
def test_fetch_gets_the_named_object(object_type: str, path: str) -> None:
    note = parse_notification_v2(
        SnsSigner().envelope(message=v2_message(ObjectType=object_type, ObjectId="X1"))
    )
    fake = FakeV2()
    fake.replies.append((200, {"state": "from the API"}))
    assert note.fetch(make_client(fake)) == {"state": "from the API"}
    assert fake.seen[0].url.endswith(f"/sandbox/v2/{path}/X1")


def test_a_chargeback_has_no_api_object() -> None:
    note = parse_notification_v2(SnsSigner().envelope(message=v2_message(ObjectType="CHARGEBACK")))
    with pytest.raises(ValueError, match="CHARGEBACK"):
        note.fetch(make_client(FakeV2()))
