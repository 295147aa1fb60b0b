"""The sandbox notifications API: list with attempts, detail with the exact body, redelivery,
and the wait endpoint."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from gateway.ipn.leases import claim
from gateway.store.models import Merchant
from gateway.worker.jobs import run_due_work

PAST_ANY_RETRY = 100


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def base(merchant):
    return f"/sandbox/api/v1/merchants/{merchant.seller_id}"


def test_list_is_newest_first_with_attempts_and_filters(
    api, client, base, clock, receiver, configure, deliver
):
    receiver.script = [500]
    configure(ipn_url=receiver.url)
    first, second = api.open_authorization(), api.open_authorization()
    deliver()
    clock.advance(PAST_ANY_RETRY)
    deliver()
    listed = client.get(f"{base}/notifications").get_json()["items"]
    assert [n["object_id"] for n in listed] == [second, first]
    assert [n["delivery_state"] for n in listed] == ["delivered", "delivered"]
    assert [a["outcome"] for a in listed[1]["attempts"]] == ["acknowledged", "retry"]
    assert listed[1]["attempts"][1]["status_code"] == 500
    assert listed[1]["attempt_count"] == 2 and listed[1]["acknowledged_at"]
    assert all(n["message_id"] for n in listed)
    only = client.get(f"{base}/notifications?object_id={first}").get_json()["items"]
    assert [n["object_id"] for n in only] == [first]
    typed = client.get(f"{base}/notifications?type=PaymentCapture").get_json()
    assert typed["items"] == []


def test_detail_shows_the_exact_request(api, client, base, receiver, configure, deliver):
    configure(ipn_url=receiver.url)
    api.open_authorization()
    deliver()
    (listed,) = client.get(f"{base}/notifications").get_json()["items"]
    detail = client.get(f"{base}/notifications/{listed['id']}").get_json()
    (received,) = receiver.received
    assert detail["request"]["body"].encode() == received.body
    assert detail["request"]["headers"]["x-amz-sns-message-id"] == detail["message_id"]
    assert detail["notification_type"] == "PaymentAuthorize"
    assert detail["state"] == "Open"


def test_unknown_notifications_and_merchants_are_404(client, base):
    assert client.get(f"{base}/notifications/999").status_code == 404
    assert client.post(f"{base}/notifications/999/redeliver").status_code == 404
    missing = client.get("/sandbox/api/v1/merchants/ANOBODY/notifications")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "MerchantNotFound"


def test_redeliver_sends_the_same_message_again(
    api, client, base, runtime, receiver, configure, deliver
):
    configure(ipn_url=receiver.url)
    api.open_authorization()
    deliver()
    (listed,) = client.get(f"{base}/notifications").get_json()["items"]
    answer = client.post(f"{base}/notifications/{listed['id']}/redeliver")
    assert answer.status_code == 202
    assert answer.get_json()["delivery_state"] == "pending"
    deliver()
    first, again = receiver.bodies()
    assert first == again
    detail = client.get(f"{base}/notifications/{listed['id']}").get_json()
    assert [a["outcome"] for a in detail["attempts"]] == ["acknowledged", "acknowledged"]


def test_redeliver_while_in_flight_is_409(api, client, base, runtime, receiver, configure):
    configure(ipn_url=receiver.url)
    api.open_authorization()
    (listed,) = client.get(f"{base}/notifications").get_json()["items"]
    # Claimed by a worker that is still posting.
    merchant_id = runtime.db.run(lambda s: s.scalars(select(Merchant.id)).one(), write=False)
    now = runtime.clock.now()
    lease_end = now + timedelta(seconds=60)
    runtime.db.run(lambda s: claim(merchant_id, now, now, lease_end, 10, s))
    answer = client.post(f"{base}/notifications/{listed['id']}/redeliver")
    assert answer.status_code == 409
    assert answer.get_json()["error"]["code"] == "NotificationInFlight"


def test_wait_returns_the_object_once_its_notification_is_acknowledged(
    api, client, base, runtime, clock, receiver, configure, deliver
):
    configure(ipn_url=receiver.url)
    cap_id = api.completed_capture("50.00")
    refund_id = api.refund(cap_id, "5.00", "wait-r1").find(
        "RefundResult/RefundDetails/AmazonRefundId"
    )
    url = f"{base}/wait?object_id={refund_id}&state=Completed&acknowledged=true"
    assert client.get(url + "&timeout=0").status_code == 408
    clock.advance(60)
    run_due_work(runtime)
    # Completed now, but not yet acknowledged by the receiver.
    assert (
        client.get(f"{base}/wait?object_id={refund_id}&state=Completed&timeout=0").status_code
        == 200
    )
    timed_out = client.get(url + "&timeout=0.2")
    assert timed_out.status_code == 408
    assert timed_out.get_json()["error"]["code"] == "WaitTimeout"
    deliver()
    reached = client.get(url + "&timeout=5")
    assert reached.status_code == 200
    body = reached.get_json()
    assert (body["object_kind"], body["object_id"], body["state"]) == (
        "Refund",
        refund_id,
        "Completed",
    )
    assert body["details"]["RefundStatus"]["State"] == "Completed"
    assert body["details"]["RefundAmount"] == {"Amount": "5.00", "CurrencyCode": "USD"}


def test_a_waiter_wakes_when_the_delivery_is_acknowledged(
    app, api, base, runtime, receiver, configure, deliver
):
    configure(ipn_url=receiver.url)
    auth_id = api.open_authorization()
    answers = []

    def wait() -> None:
        url = f"{base}/wait?object_id={auth_id}&state=Open&acknowledged=true&timeout=30"
        answers.append(app.test_client().get(url).status_code)

    waiter = threading.Thread(target=wait)
    waiter.start()
    deliver()
    waiter.join(30)
    assert answers == [200]


def test_wait_validates_its_parameters(client, base, api):
    assert client.get(f"{base}/wait?state=Open").status_code == 400
    assert client.get(f"{base}/wait?object_id=X&state=Open&timeout=61").status_code == 400
    assert client.get(f"{base}/wait?object_id=X&state=Open&timeout=soon").status_code == 400
    unknown = client.get(f"{base}/wait?object_id=S01-0000000-0000000&state=Open&timeout=0")
    assert unknown.status_code == 404
