"""The official amazon_pay SDK, unchanged, against a real ``gateway serve`` process.

One server shared by the session (``live_server``: SQLite in a temporary folder, or PostgreSQL
from ``GATEWAY_TEST_DATABASE_URL``); each test makes its own merchant through the sandbox API.
Asynchronous work is settled by advancing the merchant's clock through the sandbox API, which
applies what became due before it answers: nothing here sleeps.
"""

from __future__ import annotations

import json
import types
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
import requests
from amazon_pay import payment_request

from gateway import errors
from tests.support.servers import GatewayServer

pytestmark = [pytest.mark.e2e, pytest.mark.sdk]

UNKNOWN_ORDER = "S01-0000000-0000000"
DECLINE_CAPTURE = json.dumps(
    {"SandboxSimulation": {"State": "Declined", "ReasonCode": "AmazonRejected"}}
)


class Statuses:
    """Records the HTTP status of each request the SDK sends (it does not expose it)."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    def post(self, *args: Any, **kwargs: Any) -> requests.Response:
        response = requests.post(*args, **kwargs)
        self.seen.append(response.status_code)
        return response

    @property
    def last(self) -> int:
        return self.seen[-1]


@pytest.fixture
def statuses(monkeypatch) -> Statuses:
    recorder = Statuses()
    monkeypatch.setattr(payment_request, "requests", types.SimpleNamespace(post=recorder.post))
    return recorder


@pytest.fixture
def merchant(live_server: GatewayServer) -> dict[str, Any]:
    return live_server.new_merchant(store_name="e2estore")


@pytest.fixture
def client(live_server, merchant) -> Any:
    return live_server.sdk(merchant)


def dig(response: Any, *path: str) -> Any:
    value = response.to_dict()
    for key in path:
        value = value[key]
    return value


def details(response: Any, kind: str) -> dict[str, Any]:
    """The ``<kind>Details`` of a successful answer (whatever the operation)."""
    assert response.success, response.to_xml()
    (root,) = response.to_dict().values()
    result = next(v for k, v in root.items() if k.endswith("Result"))
    value: dict[str, Any] = result[f"{kind}Details"]
    return value


class Flow:
    """The SDK calls a test needs to reach a state, for one merchant."""

    def __init__(self, live_server: GatewayServer, merchant: dict[str, Any], client: Any) -> None:
        self.server, self.merchant, self.client = live_server, merchant, client
        self.refs = 0

    def ref(self, prefix: str) -> str:
        self.refs += 1
        return f"{prefix}-{self.refs}"

    def draft(self, **body: Any) -> str:
        return self.server.new_order(self.merchant["seller_id"], **body)

    def open_order(self, amount: str = "100.00") -> str:
        order_id = self.draft()
        answer = self.client.set_order_reference_details(
            amazon_order_reference_id=order_id, order_total=amount
        )
        assert answer.success, answer.to_xml()
        confirmed = self.client.confirm_order_reference(amazon_order_reference_id=order_id)
        assert confirmed.success, confirmed.to_xml()
        return order_id

    def authorization(self, amount: str = "100.00", **kw: Any) -> str:
        answer = self.client.authorize(
            amazon_order_reference_id=self.open_order(amount),
            authorization_reference_id=self.ref("auth"),
            authorization_amount=amount,
            transaction_timeout=0,
            **kw,
        )
        return str(details(answer, "Authorization")["AmazonAuthorizationId"])

    def capture(self, amount: str = "100.00") -> str:
        answer = self.client.capture(
            amazon_authorization_id=self.authorization(amount),
            capture_reference_id=self.ref("cap"),
            capture_amount=amount,
        )
        return str(details(answer, "Capture")["AmazonCaptureId"])

    def refund(self, capture_id: str, amount: str, ref: str | None = None, **kw: Any) -> Any:
        return self.client.refund(
            amazon_capture_id=capture_id,
            refund_reference_id=ref or self.ref("ref"),
            refund_amount=amount,
            **kw,
        )

    def advance(self, seconds: float) -> None:
        self.server.advance_clock(self.merchant["seller_id"], seconds)


@pytest.fixture
def flow(live_server, merchant, client) -> Flow:
    return Flow(live_server, merchant, client)


def assert_error(response: Any, statuses: Statuses, error: type[errors.GatewayError]) -> str:
    """The answer is ``error`` with its HTTP status; returns the message."""
    assert not response.success, response.to_xml()
    body = dig(response, "ErrorResponse")
    assert (statuses.last, body["Error"]["Code"]) == (error.http_status, error.code), (
        response.to_xml()
    )
    assert body["Error"]["Type"] == error.fault
    assert response.request_id
    return str(body["Error"]["Message"])


# --- the whole flow ----------------------------------------------------------------------------


def test_order_reference_set_confirm_get(flow, client):
    order_id = flow.draft()
    answer = client.set_order_reference_details(
        amazon_order_reference_id=order_id,
        order_total="100.00",
        seller_note="note",
        seller_order_id="order-1",
        store_name="store",
        custom_information="custom",
    )
    d = details(answer, "OrderReference")
    assert d["OrderReferenceStatus"]["State"] == "Draft"
    assert d["OrderTotal"] == {"CurrencyCode": "USD", "Amount": "100.00"}
    assert d["SellerOrderAttributes"]["SellerOrderId"] == "order-1"
    assert "Buyer" not in d  # disclosed only after confirmation
    assert client.confirm_order_reference(amazon_order_reference_id=order_id).success
    got = details(client.get_order_reference_details(order_id), "OrderReference")
    assert got["OrderReferenceStatus"]["State"] == "Open"
    assert got["Buyer"]["Email"]
    assert got["Destination"]["PhysicalDestination"]["AddressLine1"]


def test_synchronous_authorization_is_open(flow, client):
    order_id = flow.open_order("50.00")
    answer = client.authorize(
        amazon_order_reference_id=order_id,
        authorization_reference_id="auth-sync",
        authorization_amount="50.00",
        transaction_timeout=0,
        seller_authorization_note="note",
        soft_descriptor="desc",
    )
    d = details(answer, "Authorization")
    assert d["AuthorizationStatus"]["State"] == "Open"
    assert d["AuthorizationAmount"] == {"Amount": "50.00", "CurrencyCode": "USD"}
    assert d["SoftDescriptor"] == "AMZ*desc"
    assert d["CaptureNow"] == "false"
    order = details(client.get_order_reference_details(order_id), "OrderReference")
    assert order["IdList"]["member"] == d["AmazonAuthorizationId"]


def test_asynchronous_authorization_is_pending_then_open(flow, client):
    order_id = flow.open_order("50.00")
    answer = client.authorize(
        amazon_order_reference_id=order_id,
        authorization_reference_id="auth-async",
        authorization_amount="50.00",
    )  # the SDK's default TransactionTimeout is 1440
    d = details(answer, "Authorization")
    assert d["AuthorizationStatus"]["State"] == "Pending"
    auth_id = d["AmazonAuthorizationId"]
    still = details(client.get_authorization_details(auth_id), "Authorization")
    assert still["AuthorizationStatus"]["State"] == "Pending"
    flow.advance(5)
    later = details(client.get_authorization_details(auth_id), "Authorization")
    assert later["AuthorizationStatus"]["State"] == "Open"


def test_capture_now(flow, client):
    order_id = flow.open_order("30.00")
    answer = client.authorize(
        amazon_order_reference_id=order_id,
        authorization_reference_id="auth-now",
        authorization_amount="30.00",
        transaction_timeout=0,
        capture_now=True,
    )
    d = details(answer, "Authorization")
    assert d["CaptureNow"] == "true"
    assert (d["AuthorizationStatus"]["State"], d["AuthorizationStatus"]["ReasonCode"]) == (
        "Closed",
        "MaxCapturesProcessed",
    )
    assert d["CapturedAmount"]["Amount"] == "30.00"
    capture_id = d["IdList"]["member"]
    cap = details(client.get_capture_details(capture_id), "Capture")
    assert cap["CaptureStatus"]["State"] == "Completed"
    assert cap["CaptureReferenceId"] == "auth-now"
    assert cap["CaptureAmount"]["Amount"] == "30.00"


def test_capture_refund_and_details(flow, client):
    auth_id = flow.authorization("100.00")
    captured = client.capture(
        amazon_authorization_id=auth_id,
        capture_reference_id="cap-1",
        capture_amount="100.00",
        seller_capture_note="captured",
    )
    cap = details(captured, "Capture")
    assert cap["CaptureStatus"]["State"] == "Completed"
    assert cap["IdList"] is None  # <IdList/>
    capture_id = cap["AmazonCaptureId"]
    auth = details(client.get_authorization_details(auth_id), "Authorization")
    assert auth["AuthorizationStatus"]["State"] == "Closed"
    assert auth["IdList"]["member"] == capture_id

    refunded = flow.refund(capture_id, "25.00", "ref-1", seller_refund_note="sorry")
    ref = details(refunded, "Refund")
    assert ref["RefundStatus"]["State"] == "Pending"
    assert ref["RefundType"] == "SellerInitiated"
    refund_id = ref["AmazonRefundId"]
    pending = details(client.get_refund_details(refund_id), "Refund")
    assert pending["RefundStatus"]["State"] == "Pending"
    assert pending["RefundAmount"] == {"Amount": "25.00", "CurrencyCode": "USD"}

    cap_now = details(client.get_capture_details(capture_id), "Capture")
    assert cap_now["IdList"]["member"] == refund_id
    second = details(flow.refund(capture_id, "5.00", "ref-2"), "Refund")["AmazonRefundId"]
    listed = details(client.get_capture_details(capture_id), "Capture")["IdList"]["member"]
    assert listed == [refund_id, second]

    flow.advance(5)
    done = details(client.get_refund_details(refund_id), "Refund")
    assert done["RefundStatus"]["State"] == "Completed"
    cap_after = details(client.get_capture_details(capture_id), "Capture")
    assert cap_after["RefundedAmount"]["Amount"] == "30.00"


def test_get_payment_details_walks_the_id_lists(flow, client):
    capture_id = flow.capture("20.00")
    refund_id = details(flow.refund(capture_id, "1.00"), "Refund")["AmazonRefundId"]
    cap = details(client.get_capture_details(capture_id), "Capture")
    order_id = capture_id.rsplit("-", 1)[0]
    answers = client.get_payment_details(order_id)
    assert [type(a).__name__ for a in answers] == ["PaymentResponse"] * 4
    assert all(a.success for a in answers)
    kinds = [next(iter(a.to_dict())) for a in answers]
    assert kinds == [
        "GetOrderReferenceDetailsResponse",
        "GetAuthorizationDetailsResponse",
        "GetCaptureDetailsResponse",
        "GetRefundDetailsResponse",
    ]
    assert refund_id in answers[3].to_xml() and cap["AmazonCaptureId"] in answers[2].to_xml()


def test_close_order_reference_keeps_captures_refundable(flow, client):
    capture_id = flow.capture("40.00")
    order_id = capture_id.rsplit("-", 1)[0]
    closed = client.close_order_reference(order_id, closure_reason="done")
    assert closed.success, closed.to_xml()
    assert list(dig(closed, "CloseOrderReferenceResponse")) == ["ResponseMetadata"]
    order = details(client.get_order_reference_details(order_id), "OrderReference")
    status = order["OrderReferenceStatus"]
    assert (status["State"], status["ReasonCode"], status["ReasonDescription"]) == (
        "Closed",
        "SellerClosed",
        "done",
    )
    assert details(flow.refund(capture_id, "1.00"), "Refund")["RefundStatus"]["State"] == "Pending"


def test_cancel_order_reference_closes_its_authorizations(flow, client):
    auth_id = flow.authorization("10.00")
    order_id = auth_id.rsplit("-", 1)[0]
    canceled = client.cancel_order_reference(order_id, cancelation_reason="changed mind")
    assert canceled.success, canceled.to_xml()
    assert dig(canceled, "CancelOrderReferenceResponse", "CancelOrderReferenceResult") is None
    order = details(client.get_order_reference_details(order_id), "OrderReference")
    assert order["OrderReferenceStatus"]["State"] == "Canceled"
    assert order["OrderReferenceStatus"]["ReasonCode"] == "SellerCanceled"
    auth = details(client.get_authorization_details(auth_id), "Authorization")
    assert auth["AuthorizationStatus"]["State"] == "Closed"
    assert auth["AuthorizationStatus"]["ReasonCode"] == "OrderReferenceCanceled"


def test_cancel_a_draft(flow, client):
    order_id = flow.draft()
    assert client.cancel_order_reference(order_id).success


def test_close_authorization(flow, client):
    auth_id = flow.authorization("10.00")
    closed = client.close_authorization(auth_id, closure_reason="not needed")
    assert closed.success, closed.to_xml()
    auth = details(client.get_authorization_details(auth_id), "Authorization")
    assert auth["AuthorizationStatus"]["State"] == "Closed"
    assert auth["AuthorizationStatus"]["ReasonCode"] == "SellerClosed"


def test_service_status(client):
    answer = client.get_service_status()
    assert dig(answer, "GetServiceStatusResponse", "GetServiceStatusResult", "Status") == "GREEN"


# --- errors, each with its code and HTTP status -------------------------------------------------


def test_signature_does_not_match(live_server, merchant, statuses):
    wrong = live_server.sdk(merchant, mws_secret_key="x" * 40)
    message = assert_error(wrong.get_service_status(), statuses, errors.SignatureDoesNotMatch)
    assert "POST\\n127.0.0.1:" in message


def test_invalid_access_key_id(live_server, merchant, statuses):
    unknown = live_server.sdk(merchant, mws_access_key="AKIANOSUCHKEY0000000")
    assert_error(unknown.get_service_status(), statuses, errors.InvalidAccessKeyId)


@pytest.mark.parametrize("minutes", [16, -16])
def test_request_expired(client, statuses, monkeypatch, minutes):
    skewed = datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=minutes)
    fake = types.SimpleNamespace(datetime=types.SimpleNamespace(utcnow=lambda: skewed))
    monkeypatch.setattr(payment_request, "datetime", fake)
    assert_error(client.get_service_status(), statuses, errors.RequestExpired)


def test_fourteen_minutes_off_is_accepted(client, monkeypatch):
    skewed = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=14)
    fake = types.SimpleNamespace(datetime=types.SimpleNamespace(utcnow=lambda: skewed))
    monkeypatch.setattr(payment_request, "datetime", fake)
    assert client.get_service_status().success


def test_missing_parameter(flow, client, statuses):
    capture_id = flow.capture("10.00")
    answer = client._operation(params={"Action": "Refund", "AmazonCaptureId": capture_id})
    assert "RefundAmount.Amount" in assert_error(answer, statuses, errors.MissingParameter)


def test_invalid_parameter_value(flow, client, statuses):
    capture_id = flow.capture("10.00")
    assert_error(flow.refund(capture_id, "ten"), statuses, errors.InvalidParameterValue)
    too_long = flow.refund(capture_id, "1.00", ref="x" * 33)
    assert_error(too_long, statuses, errors.InvalidParameterValue)


def test_invalid_address_for_an_unknown_action(client, statuses):
    answer = client._operation(params={"Action": "NoSuchOperation"})
    assert_error(answer, statuses, errors.InvalidAddress)


def test_unauthorized_seller_id(live_server, client, statuses):
    other = live_server.new_merchant()
    answer = client._operation(
        params={"Action": "GetServiceStatus", "SellerId": other["seller_id"]}
    )
    assert_error(answer, statuses, errors.UnauthorizedAccess)


def test_invalid_order_reference_id(client, statuses):
    answer = client.get_order_reference_details(UNKNOWN_ORDER)
    assert_error(answer, statuses, errors.InvalidOrderReferenceId)


@pytest.mark.parametrize("letter", ["A", "C", "R"])
def test_invalid_transaction_id(client, statuses, letter):
    call = {
        "A": client.get_authorization_details,
        "C": client.get_capture_details,
        "R": client.get_refund_details,
    }[letter]
    assert_error(call(f"{UNKNOWN_ORDER}-{letter}000000"), statuses, errors.InvalidTransactionId)


def test_order_reference_not_modifiable(flow, client, statuses):
    order_id = flow.open_order()
    answer = client.set_order_reference_details(
        amazon_order_reference_id=order_id, order_total="1.00"
    )
    assert_error(answer, statuses, errors.OrderReferenceNotModifiable)


def test_invalid_order_reference_status(flow, client, statuses):
    draft = flow.draft()
    answer = client.authorize(
        amazon_order_reference_id=draft,
        authorization_reference_id="auth-draft",
        authorization_amount="1.00",
        transaction_timeout=0,
    )
    assert_error(answer, statuses, errors.InvalidOrderReferenceStatus)
    order_id = flow.open_order()
    again = client.confirm_order_reference(amazon_order_reference_id=order_id)
    assert_error(again, statuses, errors.InvalidOrderReferenceStatus)
    capture_id = flow.capture("5.00")
    cancel = client.cancel_order_reference(capture_id.rsplit("-", 1)[0])
    assert_error(cancel, statuses, errors.InvalidOrderReferenceStatus)


def test_invalid_authorization_status(flow, client, statuses):
    auth_id = flow.authorization("10.00")
    assert client.capture(auth_id, "c-first", "10.00").success
    second = client.capture(auth_id, "c-second", "1.00")
    assert_error(second, statuses, errors.InvalidAuthorizationStatus)
    assert_error(client.close_authorization(auth_id), statuses, errors.InvalidAuthorizationStatus)


def test_capture_not_refundable(flow, client, statuses):
    auth_id = flow.authorization("10.00")
    declined = client.capture(auth_id, "c-declined", "10.00", seller_capture_note=DECLINE_CAPTURE)
    cap = details(declined, "Capture")
    assert (cap["CaptureStatus"]["State"], cap["CaptureStatus"]["ReasonCode"]) == (
        "Declined",
        "AmazonRejected",
    )
    answer = flow.refund(cap["AmazonCaptureId"], "1.00")
    assert_error(answer, statuses, errors.CaptureNotRefundable)


def test_transaction_amount_exceeded(flow, client, statuses):
    capture_id = flow.capture("100.00")
    assert_error(flow.refund(capture_id, "115.01"), statuses, errors.TransactionAmountExceeded)
    assert details(flow.refund(capture_id, "115.00"), "Refund")["RefundStatus"]["State"] == (
        "Pending"
    )
    auth_id = flow.authorization("10.00")
    assert_error(
        client.capture(auth_id, "c-over", "10.01"), statuses, errors.TransactionAmountExceeded
    )


def test_transaction_count_exceeded(flow, statuses):
    capture_id = flow.capture("100.00")
    for _ in range(10):
        assert flow.refund(capture_id, "1.00").success
    assert_error(flow.refund(capture_id, "1.00"), statuses, errors.TransactionCountExceeded)


def test_currency_mismatch(live_server, merchant, flow, statuses):
    capture_id = flow.capture("10.00")
    euro = live_server.sdk(merchant, currency_code="EUR", region="de")
    answer = euro.refund(capture_id, "r-eur", "1.00")
    assert_error(answer, statuses, errors.CurrencyMismatch)


def test_duplicate_request_and_reference_id(flow, client, statuses):
    capture_id = flow.capture("50.00")
    first = details(flow.refund(capture_id, "5.00", "same-ref"), "Refund")
    again = details(flow.refund(capture_id, "5.00", "same-ref"), "Refund")
    assert first["AmazonRefundId"] == again["AmazonRefundId"]
    assert_error(flow.refund(capture_id, "6.00", "same-ref"), statuses, errors.DuplicateRequest)
    auth_id = flow.authorization("10.00")
    captured = client.capture(auth_id, "used-ref", "10.00")
    assert captured.success
    reused = flow.refund(details(captured, "Capture")["AmazonCaptureId"], "1.00", "used-ref")
    assert_error(reused, statuses, errors.DuplicateReferenceId)


def test_constraints_exist(flow, client, statuses):
    order_id = flow.draft(payment_method=None)
    assert client.set_order_reference_details(
        amazon_order_reference_id=order_id, order_total="1.00"
    ).success
    answer = client.confirm_order_reference(amazon_order_reference_id=order_id)
    assert "PaymentPlanNotSet" in assert_error(answer, statuses, errors.ConstraintsExist)


# --- another merchant's ids answer exactly like unknown ids --------------------------------------


def _answer(call: Callable[[], Any], statuses: Statuses) -> tuple[int, str, str, str]:
    response = call()
    error = dig(response, "ErrorResponse", "Error")
    return statuses.last, error["Type"], error["Code"], error["Message"]


def test_another_merchants_ids_answer_like_unknown_ids(live_server, flow, statuses):
    capture_id = flow.capture("50.00")
    refund_id = details(flow.refund(capture_id, "1.00"), "Refund")["AmazonRefundId"]
    order_id = capture_id.rsplit("-", 1)[0]
    order = details(flow.client.get_order_reference_details(order_id), "OrderReference")
    auth_id = order["IdList"]["member"]
    open_order = flow.open_order("10.00")
    open_auth = flow.authorization("10.00")

    intruder = live_server.sdk(live_server.new_merchant())
    ids = {
        "order": (order_id, "S01-0000000-0000001"),
        "open_order": (open_order, "S01-0000000-0000002"),
        "auth": (auth_id, "S01-0000000-0000001-A000001"),
        "open_auth": (open_auth, "S01-0000000-0000001-A000002"),
        "capture": (capture_id, "S01-0000000-0000001-C000001"),
        "refund": (refund_id, "S01-0000000-0000001-R000001"),
    }
    calls: list[tuple[str, Callable[[str], Any]]] = [
        ("order", intruder.get_order_reference_details),
        ("open_order", lambda i: intruder.set_order_reference_details(i, "1.00")),
        ("open_order", lambda i: intruder.confirm_order_reference(i)),
        ("open_order", lambda i: intruder.close_order_reference(i)),
        ("open_order", lambda i: intruder.cancel_order_reference(i)),
        ("open_order", lambda i: intruder.authorize(i, "a-x", "1.00", transaction_timeout=0)),
        ("auth", intruder.get_authorization_details),
        ("open_auth", lambda i: intruder.capture(i, "c-x", "1.00")),
        ("open_auth", intruder.close_authorization),
        ("capture", intruder.get_capture_details),
        ("capture", lambda i: intruder.refund(i, "r-x", "1.00")),
        ("refund", intruder.get_refund_details),
    ]
    for name, call in calls:
        real, unknown = ids[name]
        theirs = _answer(partial(call, real), statuses)
        never = _answer(partial(call, unknown), statuses)
        assert theirs[:3] == never[:3], (name, theirs, never)
        assert theirs[3].replace(real, "<id>") == never[3].replace(unknown, "<id>"), name
        assert theirs[2] in ("InvalidOrderReferenceId", "InvalidTransactionId")
    # And nothing changed for the owner.
    assert (
        details(flow.client.get_order_reference_details(open_order), "OrderReference")[
            "OrderReferenceStatus"
        ]["State"]
        == "Open"
    )
    auth = details(flow.client.get_authorization_details(open_auth), "Authorization")
    assert auth["AuthorizationStatus"]["State"] == "Open"


def test_charge_sets_confirms_and_captures_at_once(flow, client):
    order_id = flow.draft()
    answer = client.charge(
        amazon_reference_id=order_id,
        charge_amount="12.34",
        authorize_reference_id="charge-1",
        charge_note="one-step",
        charge_order_id="order-42",
        store_name="shop",
    )
    d = details(answer, "Authorization")
    assert (d["AuthorizationStatus"]["State"], d["CapturedAmount"]["Amount"]) == (
        "Closed",
        "12.34",
    )
    capture = details(client.get_capture_details(d["IdList"]["member"]), "Capture")
    assert capture["CaptureStatus"]["State"] == "Completed"
    order = details(client.get_order_reference_details(order_id), "OrderReference")
    assert order["SellerOrderAttributes"]["SellerOrderId"] == "order-42"
