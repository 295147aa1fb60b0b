"""IPN faults, in process: dropped (then redelivered), delayed (released by the merchant's
clock), a broken signature and a certificate URL off the allow-list (refused by the project's
verifier and receiver, then the genuine message on redelivery); each in the fault log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from clients.ipn import IpnVerifier
from clients.notifications import Notification as VerifiedNotification
from clients.receiver import IpnReceiver, ReceiverServer
from gateway.runtime import Runtime
from gateway.store.models import Notification, NotificationAttempt
from tests.helpers import SignedApi


@pytest.fixture
def control(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def receiver_app(runtime: Runtime) -> Iterator[tuple[IpnReceiver[VerifiedNotification], str]]:
    """The project's receiver with the project's verifier, trusting this sandbox's certificate."""
    verifier = IpnVerifier(
        allowed_cert_hosts=[runtime.settings.resolved_public_url],
        fetch_certificate=lambda url: runtime.certificate_pem,
        now=runtime.clock.now,
    )
    receiver = IpnReceiver(verifier)
    with ReceiverServer(receiver) as server:
        yield receiver, server.url


def fault(control: Any, api: SignedApi, **rule: Any) -> dict[str, Any]:
    response = control.post(f"/sandbox/api/v1/merchants/{api.merchant.seller_id}/faults", json=rule)
    assert response.status_code == 201, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def fault_log(control: Any, api: SignedApi) -> list[dict[str, Any]]:
    url = f"/sandbox/api/v1/merchants/{api.merchant.seller_id}/faults/log"
    items: list[dict[str, Any]] = control.get(url).get_json()["items"]
    return items


def notifications(runtime: Runtime) -> list[Notification]:
    with runtime.db.session(write=False) as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def outcomes(runtime: Runtime, notification_id: int) -> list[tuple[str, int | None]]:
    with runtime.db.session(write=False) as session:
        rows = session.scalars(
            select(NotificationAttempt)
            .where(NotificationAttempt.notification_id == notification_id)
            .order_by(NotificationAttempt.id)
        )
        return [(a.outcome, a.status_code) for a in rows]


def redeliver(control: Any, api: SignedApi, notification_id: int) -> None:
    url = f"/sandbox/api/v1/merchants/{api.merchant.seller_id}/notifications/{notification_id}"
    response = control.post(url + "/redeliver")
    assert response.status_code in (200, 202), response.get_json()


def test_drop_then_redeliver(api, runtime, control, configure, deliver, receiver):
    configure(ipn_url=receiver.url)
    rule = fault(control, api, kind="drop", count=1)
    api.open_authorization()  # PaymentAuthorize
    api.open_authorization()
    deliver()
    first, second = notifications(runtime)
    assert first.delivery_state == "failed" and outcomes(runtime, first.id) == [("dropped", None)]
    assert second.delivery_state == "delivered"  # the next N was 1
    assert len(receiver.bodies()) == 1
    (hit,) = fault_log(control, api)
    assert (hit["notification_id"], hit["rule_id"], hit["kind"]) == (first.id, rule["id"], "drop")
    assert hit["action"] == "PaymentAuthorize"
    redeliver(control, api, first.id)
    deliver()
    assert notifications(runtime)[0].delivery_state == "delivered"
    assert len(receiver.bodies()) == 2


def test_delay_on_the_merchants_clock(api, runtime, clock, control, configure, deliver, receiver):
    configure(ipn_url=receiver.url)
    fault(control, api, kind="delay", seconds=600, action="PaymentAuthorize")
    api.open_authorization()
    deliver()
    (row,) = notifications(runtime)
    assert row.delivery_state == "pending" and receiver.bodies() == []
    assert outcomes(runtime, row.id) == [("delayed", None)]
    clock.advance(599)
    deliver()
    assert receiver.bodies() == []
    clock.advance(1)
    deliver()
    assert len(receiver.bodies()) == 1 and notifications(runtime)[0].delivery_state == "delivered"
    (hit,) = fault_log(control, api)
    assert hit["effect"].startswith("delayed it 600 s")


@pytest.mark.parametrize(
    ("kind", "reason"),
    [("bad_signature", "bad_signature"), ("bad_cert_url", "certificate_url_not_allowed")],
)
def test_forged_notifications_are_refused_by_the_verifier(
    api, runtime, control, configure, deliver, receiver_app, kind, reason
):
    receiver, url = receiver_app
    configure(ipn_url=url)
    fault(control, api, kind=kind, count=1)
    api.open_authorization()
    deliver()
    (row,) = notifications(runtime)
    # The receiver answered 400: Amazon does not retry a 4xx, so the row failed.
    assert outcomes(runtime, row.id) == [("failed", 400)]
    (rejection,) = receiver.rejections
    assert rejection.reason.startswith(reason), rejection
    assert fault_log(control, api)[0]["notification_id"] == row.id
    # The stored message is the genuine one: redelivered, it is accepted.
    redeliver(control, api, row.id)
    deliver()
    assert len(receiver.notifications) == 1
    assert notifications(runtime)[0].delivery_state == "delivered"


def test_fps_notifications_are_forged_in_their_own_form():
    from urllib.parse import parse_qsl

    from clients.ipn_signing import OFF_ALLOW_LIST_CERT_URL
    from gateway.faults.ipn import tampered

    form = b"transactionId=T1&signature=c2lnbmF0dXJl&certificateUrl=http%3A%2F%2Fhere%2Fc.pem"
    broken = dict(parse_qsl(tampered(form, "bad_signature").decode()))
    assert broken["transactionId"] == "T1" and broken["signature"] != "c2lnbmF0dXJl"
    assert len(broken["signature"]) == len("c2lnbmF0dXJl")
    moved = dict(parse_qsl(tampered(form, "bad_cert_url").decode()))
    assert (
        moved["certificateUrl"] == OFF_ALLOW_LIST_CERT_URL and moved["signature"] == "c2lnbmF0dXJl"
    )
