"""The Amazon Pay API v2 client (clients/amazon_pay_v2/client.py) against a fake that checks each
request's signature with the verifier (itself cross-checked with Amazon's Node SDK in
test_v2_signing.py) and answers from a script. No sockets: a ``requests`` transport adapter."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from clients.amazon_pay_v2 import signing
from clients.amazon_pay_v2.client import AmazonPayV2Client
from clients.errors import AmazonPayV2Error
from clients.transport import RetryPolicy
from tests.clients.conftest import Sleeps
from tests.clients.test_v2_signing import private_key

KEY_ID = "AHEGSJCM7T4LSGIP4MKDNHQC"
NOW = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


@dataclass
class Seen:
    method: str
    url: str
    headers: dict[str, str]
    body: dict[str, Any] | None
    verified: signing.ExpectedSignature


class FakeV2(requests.adapters.BaseAdapter):
    """Verifies every request's signature and answers the next scripted reply (else 200 ``{}``)."""

    def __init__(self) -> None:
        super().__init__()
        self.replies: deque[tuple[int, Any]] = deque()
        self.seen: list[Seen] = []
        self.options: list[dict[str, Any]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.options.append(kwargs)
        parts = urlsplit(request.url or "")
        raw = request.body or b""
        body = raw.encode() if isinstance(raw, str) else raw
        verified = signing.verify_request(
            private_key().public_key(),
            request.method or "",
            parts.path,
            parts.query,
            dict(request.headers),
            body,
        )
        decoded = json.loads(body) if body else None
        self.seen.append(
            Seen(request.method or "", request.url or "", dict(request.headers), decoded, verified)
        )
        status, payload = self.replies.popleft() if self.replies else (200, {})
        response = requests.Response()
        response.status_code = status
        response._content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        response.headers = CaseInsensitiveDict({"x-amz-pay-request-id": f"req-{len(self.seen)}"})
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass


@pytest.fixture
def fake() -> FakeV2:
    return FakeV2()


def make_client(fake: FakeV2, sleeps: Sleeps | None = None, **options: Any) -> AmazonPayV2Client:
    session = requests.Session()
    session.mount("http://", fake)
    session.mount("https://", fake)
    options.setdefault("endpoint", "http://127.0.0.1:8080")
    return AmazonPayV2Client(
        options.pop("public_key_id", KEY_ID),
        private_key(),
        session=session,
        clock=lambda: NOW,
        retries=RetryPolicy(
            max_attempts=4,
            base_delay=1.0,
            retry_statuses=frozenset({408, 425, 429, *range(500, 600)}),
            sleep=sleeps if sleeps is not None else Sleeps(),
        ),
        **options,
    )


@pytest.mark.parametrize(
    ("options", "url"),
    [
        ({}, "http://127.0.0.1:8080/sandbox/v2/refunds/R1"),
        ({"sandbox": False}, "http://127.0.0.1:8080/live/v2/refunds/R1"),
        ({"public_key_id": "SANDBOX-K1"}, "http://127.0.0.1:8080/v2/refunds/R1"),
        ({"public_key_id": "live-K1", "sandbox": True}, "http://127.0.0.1:8080/v2/refunds/R1"),
        (
            {"endpoint": "https://127.0.0.1:8443/amazon/"},
            "https://127.0.0.1:8443/amazon/sandbox/v2/refunds/R1",
        ),
        ({"endpoint": None, "region": "de"}, "https://pay-api.amazon.eu/sandbox/v2/refunds/R1"),
        ({"endpoint": None, "region": "JP"}, "https://pay-api.amazon.jp/sandbox/v2/refunds/R1"),
        ({"endpoint": None, "region": "us"}, "https://pay-api.amazon.com/sandbox/v2/refunds/R1"),
    ],
)
def test_where_requests_go(fake: FakeV2, options: dict[str, Any], url: str) -> None:
    make_client(fake, **options).get_refund("R1")
    (seen,) = fake.seen
    assert seen.url == url
    assert seen.headers["x-amz-pay-host"] == urlsplit(url).netloc
    assert seen.headers["x-amz-pay-region"] == {"de": "eu", "JP": "jp"}.get(
        options.get("region", ""), "na"
    )
    assert seen.headers["x-amz-pay-date"] == "20240101T120000Z"
    assert seen.verified.authorization.public_key_id == options.get("public_key_id", KEY_ID)


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="region"):
        AmazonPayV2Client(KEY_ID, private_key(), region="mars")
    with pytest.raises(ValueError, match="algorithm"):
        AmazonPayV2Client(KEY_ID, private_key(), algorithm="HMAC")
    with pytest.raises(ValueError, match="scheme"):
        AmazonPayV2Client(KEY_ID, private_key(), endpoint="127.0.0.1:8080")


CREATES = {"create_checkout_session", "create_charge", "capture_charge", "create_refund"}
OPERATIONS: list[tuple[str, tuple[Any, ...], str, str, dict[str, Any] | None]] = [
    (
        "create_checkout_session",
        ({"storeId": "s", "webCheckoutDetails": {"checkoutReviewReturnUrl": "https://a/r"}},),
        "POST",
        "checkoutSessions",
        {"storeId": "s", "webCheckoutDetails": {"checkoutReviewReturnUrl": "https://a/r"}},
    ),
    ("get_checkout_session", ("S01-1",), "GET", "checkoutSessions/S01-1", None),
    (
        "update_checkout_session",
        ("S01-1", {"merchantMetadata": {"merchantReferenceId": "o-1"}}),
        "PATCH",
        "checkoutSessions/S01-1",
        {"merchantMetadata": {"merchantReferenceId": "o-1"}},
    ),
    (
        "complete_checkout_session",
        ("S01-1", Decimal("10.00"), "USD"),
        "POST",
        "checkoutSessions/S01-1/complete",
        {"chargeAmount": {"amount": "10.00", "currencyCode": "USD"}},
    ),
    ("get_charge_permission", ("S01-2",), "GET", "chargePermissions/S01-2", None),
    (
        "update_charge_permission",
        ("S01-2", {"merchantMetadata": {"noteToBuyer": "hi"}}),
        "PATCH",
        "chargePermissions/S01-2",
        {"merchantMetadata": {"noteToBuyer": "hi"}},
    ),
    (
        "close_charge_permission",
        ("S01-2", "done"),
        "DELETE",
        "chargePermissions/S01-2/close",
        {"closureReason": "done"},
    ),
    (
        "create_charge",
        ("S01-2", "25", "EUR"),
        "POST",
        "charges",
        {"chargePermissionId": "S01-2", "chargeAmount": {"amount": "25", "currencyCode": "EUR"}},
    ),
    ("get_charge", ("S01-2-C1",), "GET", "charges/S01-2-C1", None),
    (
        "update_charge",
        ("S01-2-C1", {"merchantMetadata": {}}),
        "PATCH",
        "charges/S01-2-C1",
        {"merchantMetadata": {}},
    ),
    (
        "capture_charge",
        ("S01-2-C1", 25, "EUR"),
        "POST",
        "charges/S01-2-C1/capture",
        {"captureAmount": {"amount": "25", "currencyCode": "EUR"}},
    ),
    (
        "cancel_charge",
        ("S01-2-C1", "no stock"),
        "DELETE",
        "charges/S01-2-C1/cancel",
        {"cancellationReason": "no stock"},
    ),
    (
        "create_refund",
        ("S01-2-C1", "1.50", "EUR"),
        "POST",
        "refunds",
        {"chargeId": "S01-2-C1", "refundAmount": {"amount": "1.50", "currencyCode": "EUR"}},
    ),
    ("get_refund", ("S01-2-R1",), "GET", "refunds/S01-2-R1", None),
    ("get_buyer", ("amzn1.token/x y",), "GET", "buyers/amzn1.token%2Fx%20y", None),
]


@pytest.mark.parametrize(
    ("operation", "args", "method", "path", "body"), OPERATIONS, ids=[o[0] for o in OPERATIONS]
)
def test_every_operation(
    fake: FakeV2,
    operation: str,
    args: tuple[Any, ...],
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    fake.replies.append((200 if method != "POST" or "complete" in path else 201, {"id": "answer"}))
    client = make_client(fake, algorithm="AMZN-PAY-RSASSA-PSS-V2")
    assert getattr(client, operation)(*args) == {"id": "answer"}
    (seen,) = fake.seen
    assert (seen.method, seen.url) == (method, f"http://127.0.0.1:8080/sandbox/v2/{path}")
    assert seen.body == body
    assert seen.verified.authorization.algorithm == "AMZN-PAY-RSASSA-PSS-V2"
    key = seen.headers.get("x-amz-pay-idempotency-key")
    if operation in CREATES:
        assert key is not None and len(key) == 32  # uuid4 hex, within Amazon's 32 characters
        assert "x-amz-pay-idempotency-key" in seen.verified.authorization.header_names
    else:
        assert key is None


def test_idempotency_key_given_and_simulation_code_are_signed(fake: FakeV2) -> None:
    make_client(fake).create_refund(
        "C1", "1.00", "USD", idempotency_key="mine", simulation_code="RefundDeclined",
        soft_descriptor="SHOP",
    )  # fmt: skip
    (seen,) = fake.seen
    assert seen.headers["x-amz-pay-idempotency-key"] == "mine"
    assert seen.headers["x-amz-pay-simulation-code"] == "RefundDeclined"
    assert "x-amz-pay-simulation-code" in seen.verified.authorization.header_names
    assert seen.body is not None and seen.body["softDescriptor"] == "SHOP"


def test_retries_with_backoff_keep_the_idempotency_key(fake: FakeV2) -> None:
    sleeps = Sleeps()
    fake.replies.extend(
        [
            (429, {"reasonCode": "TooManyRequests", "message": "slow down"}),
            (503, {"reasonCode": "ServiceUnavailable", "message": "x"}),
            (408, b"timeout"),
            (201, {"refundId": "R1"}),
        ]
    )
    refund = make_client(fake, sleeps).create_refund("C1", "1.00", "USD")
    assert refund == {"refundId": "R1"}
    assert sleeps == [1.0, 2.0, 4.0]
    keys = {seen.headers["x-amz-pay-idempotency-key"] for seen in fake.seen}
    assert len(fake.seen) == 4 and len(keys) == 1


def test_retries_give_up_with_the_last_error(fake: FakeV2) -> None:
    sleeps = Sleeps()
    fake.replies.extend([(500, {"reasonCode": "InternalServerError", "message": "boom"})] * 4)
    with pytest.raises(AmazonPayV2Error) as err:
        make_client(fake, sleeps).get_charge("C1")
    assert (err.value.status, err.value.reason_code, err.value.message) == (
        500,
        "InternalServerError",
        "boom",
    )
    assert err.value.request_id == "req-4"
    assert sleeps == [1.0, 2.0, 4.0]


def test_client_errors_are_not_retried(fake: FakeV2) -> None:
    sleeps = Sleeps()
    fake.replies.append(
        (422, {"reasonCode": "TransactionAmountExceeded", "message": "over the cap"})
    )
    with pytest.raises(AmazonPayV2Error) as err:
        make_client(fake, sleeps).create_refund("C1", "999.00", "USD")
    assert err.value.reason_code == "TransactionAmountExceeded"
    assert err.value.body == {"reasonCode": "TransactionAmountExceeded", "message": "over the cap"}
    assert sleeps == [] and len(fake.seen) == 1


def test_an_answer_that_is_not_json_is_a_malformed_response(fake: FakeV2) -> None:
    fake.replies.append((200, b"<html>proxy</html>"))
    with pytest.raises(AmazonPayV2Error) as err:
        make_client(fake).get_refund("R1")
    assert (err.value.status, err.value.reason_code) == (200, "MalformedResponse")
    assert "<html>proxy</html>" in err.value.message


def test_amounts_are_never_floats(fake: FakeV2) -> None:
    with pytest.raises(TypeError, match="float"):
        make_client(fake).create_refund("C1", 1.5, "USD")  # type: ignore[arg-type]
    assert fake.seen == []


def test_query_parameters_are_signed_as_sent(fake: FakeV2) -> None:
    response = make_client(fake).request("GET", "reports", query={"b": "it's (x)", "a": "a b"})
    assert response.status_code == 200
    (seen,) = fake.seen
    assert urlsplit(seen.url).query == "a=a%20b&b=it%27s%20%28x%29"
    assert seen.verified.canonical_request.split("\n")[2] == "a=a%20b&b=it%27s%20%28x%29"


def test_tls_verification_and_timeout_reach_requests(fake: FakeV2) -> None:
    client = make_client(
        fake, endpoint="https://127.0.0.1:8443", verify="/data/tls/cert.pem", timeout=7
    )
    client.get_charge("C1")
    assert (fake.options[0]["verify"], fake.options[0]["timeout"]) == ("/data/tls/cert.pem", 7)
    assert fake.seen[0].headers["x-amz-pay-host"] == "127.0.0.1:8443"


def test_complete_with_a_total_order_amount(fake: FakeV2) -> None:
    make_client(fake).complete_checkout_session("S01-1", "10.00", "EUR", total_order_amount="25.00")
    assert fake.seen[0].body == {
        "chargeAmount": {"amount": "10.00", "currencyCode": "EUR"},
        "totalOrderAmount": {"amount": "25.00", "currencyCode": "EUR"},
    }
