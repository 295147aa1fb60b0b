"""The API v2 edge in process: routing, headers, signatures, environments, bodies, errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from clients.amazon_pay_v2 import signing
from gateway.clock import FrozenClock
from gateway.runtime import Runtime
from tests.helpers import MerchantCredentials
from tests.v2.helpers import V2Api, issue_buyer, register_key


@pytest.fixture
def key_id(runtime: Runtime, merchant: MerchantCredentials) -> str:
    return register_key(runtime, merchant.seller_id)


@pytest.fixture
def v2(app: Any, key_id: str, clock: FrozenClock) -> V2Api:
    return V2Api(app.test_client(), key_id, clock)


@pytest.mark.parametrize("algorithm", sorted(signing.ALGORITHMS))
def test_get_buyer_with_both_algorithms(
    app: Any,
    runtime: Runtime,
    merchant: MerchantCredentials,
    key_id: str,
    clock: FrozenClock,
    algorithm: str,
) -> None:
    token = issue_buyer(runtime, merchant.seller_id)
    answer = V2Api(app.test_client(), key_id, clock, algorithm=algorithm).call(
        "GET", f"buyers/{token}"
    )
    assert answer.status == 200, answer.body
    assert answer.body["name"] == "Jane Buyer"
    assert answer.body["buyerId"].startswith("amzn1.account.")
    assert answer.body["shippingAddress"]["stateOrRegion"] == "WA"
    assert answer.body["postalCode"] == "98109"
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.headers["x-amz-pay-request-id"]


def test_unknown_buyer_token_is_resource_not_found(v2: V2Api) -> None:
    answer = v2.call("GET", "buyers/nobody")
    assert (answer.status, answer.reason) == (404, "ResourceNotFound")


def test_another_merchants_buyer_token_is_not_found(v2: V2Api, runtime: Runtime) -> None:
    from tests.helpers import new_merchant

    other = new_merchant(runtime)
    token = issue_buyer(runtime, other.seller_id)
    assert v2.call("GET", f"buyers/{token}").reason == "ResourceNotFound"


def test_tampered_body_names_the_expected_canonical_request(v2: V2Api) -> None:
    answer = v2.call("GET", "buyers/x", tamper=b"{}")
    assert (answer.status, answer.reason) == (401, "InvalidRequestSignature")
    message = answer.body["message"]
    assert message.startswith("Unable to verify signature, signing String [AMZN-PAY-RSASSA-PSS\n")
    assert "GET\n/v2/buyers/x\n\naccept:application/json\n" in message
    assert signing.hex_sha256(b"{}") in message  # the hash of the body that arrived


def test_wrong_key_is_refused(app: Any, key_id: str, clock: FrozenClock) -> None:
    from gateway.v2.keys import new_private_key_pem

    answer = V2Api(app.test_client(), key_id, clock, pem=new_private_key_pem()).call(
        "GET", "buyers/x"
    )
    assert (answer.status, answer.reason) == (401, "InvalidRequestSignature")


def test_unknown_public_key_id(app: Any, clock: FrozenClock) -> None:
    answer = V2Api(app.test_client(), "SANDBOX-ANOSUCHKEY", clock).call("GET", "buyers/x")
    assert (answer.status, answer.reason) == (403, "InvalidAuthentication")


def test_environments(
    app: Any, runtime: Runtime, merchant: MerchantCredentials, key_id: str, clock: FrozenClock
) -> None:
    token = issue_buyer(runtime, merchant.seller_id)
    client = app.test_client()
    assert (
        V2Api(client, key_id, clock, base="/sandbox/v2").call("GET", f"buyers/{token}").status
        == 200
    )
    live = V2Api(client, key_id, clock, base="/live/v2").call("GET", f"buyers/{token}")
    assert (live.status, live.reason) == (401, "UnauthorizedAccess")
    neutral = register_key(runtime, merchant.seller_id, environment=None)
    assert (
        V2Api(client, neutral, clock, base="/live/v2").call("GET", f"buyers/{token}").status == 200
    )
    assert V2Api(client, neutral, clock, base="/v2").call("GET", f"buyers/{token}").reason == (
        "InvalidRequest"
    )


def test_stale_date_and_both_formats(v2: V2Api, clock: FrozenClock) -> None:
    stale = v2.call("GET", "buyers/x", date=clock.now() - timedelta(minutes=16))
    assert (stale.status, stale.reason) == (400, "InvalidHeaderValue")
    assert "x-amz-pay-date" in stale.body["message"]
    node_style = clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    answer = v2.call("GET", "buyers/x", headers={"x-amz-pay-date": node_style})
    assert answer.reason == "ResourceNotFound"  # signed and accepted: the token is unknown


def test_host_and_region(v2: V2Api) -> None:
    assert v2.call("GET", "buyers/x", headers={"x-amz-pay-host": "localhost:443"}).reason == (
        "ResourceNotFound"
    )
    assert v2.call("GET", "buyers/x", headers={"x-amz-pay-host": "pay-api.amazon.eu"}).reason == (
        "ResourceNotFound"
    )
    wrong = v2.call("GET", "buyers/x", headers={"x-amz-pay-host": "example.com"})
    assert (wrong.status, wrong.reason) == (400, "InvalidHeaderValue")
    region = v2.call("GET", "buyers/x", headers={"x-amz-pay-region": "mars"})
    assert (region.status, region.reason) == (400, "InvalidHeaderValue")


def test_missing_headers(app: Any) -> None:
    client = app.test_client()
    answer = client.get("/v2/buyers/x")
    assert answer.status_code == 400
    assert answer.get_json()["reasonCode"] == "MissingHeader"
    bad = client.get("/v2/buyers/x", headers={"authorization": "AMZN-PAY-RSASSA-PSS nonsense"})
    assert bad.get_json()["reasonCode"] == "InvalidHeaderValue"
    alg = client.get(
        "/v2/buyers/x",
        headers={"authorization": "HMAC PublicKeyId=a, SignedHeaders=b, Signature=c"},
    )
    assert alg.get_json()["reasonCode"] == "InvalidHeaderValue"
    assert "AMZN-PAY-RSASSA-PSS-V2" in alg.get_json()["message"]


def test_unknown_paths_and_methods_answer_v2_json(app: Any, v2: V2Api) -> None:
    client = app.test_client()
    for path in ("/v2/nothing", "/sandbox/v2/", "/live/v2", "/v2"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert answer.get_json()["reasonCode"] == "ResourceNotFound", path
    wrong = v2.call("POST", "buyers/x", {})
    assert (wrong.status, wrong.reason) == (405, "InvalidRequest")
    assert wrong.headers["Allow"] == "GET"
    options = client.options("/v2/buyers/x")
    assert options.status_code == 405
    assert options.get_json()["reasonCode"] == "InvalidRequest"


def test_body_on_get_buyer_is_an_unrecognized_field(v2: V2Api) -> None:
    answer = v2.call("GET", "buyers/x", {"foo": 1})
    assert (answer.status, answer.reason) == (400, "UnrecognizedField")


def test_oversized_body_is_v2_json(app: Any, runtime: Runtime) -> None:
    big = b"x" * (runtime.settings.max_request_bytes + 1)
    answer = app.test_client().post("/v2/charges", data=big)
    assert answer.status_code == 413
    assert answer.get_json()["reasonCode"] == "InvalidRequest"


def test_journal_keeps_v2_requests(
    app: Any, runtime: Runtime, merchant: MerchantCredentials, v2: V2Api
) -> None:
    v2.call("GET", "buyers/x", tamper=b"{}")

    def rows(session: Any) -> list[Any]:
        from sqlalchemy import select

        from gateway.store.models import JournalEntry

        return list(session.scalars(select(JournalEntry)))

    entries = runtime.journal.db.run(rows, write=False)
    assert entries, "no journal entry"
    entry = entries[-1]
    assert entry.action == "GetBuyer"
    assert entry.error_code == "InvalidRequestSignature"
    assert entry.string_to_sign.startswith("AMZN-PAY-RSASSA-PSS\n")
    assert entry.parameters["PublicKeyId"] == v2.public_key_id


def test_control_characters_in_ids_and_queries(v2: V2Api) -> None:
    for path in ("buyers/a%00b", "buyers/x?note=%01"):
        answer = v2.call("GET", path)
        assert (answer.status, answer.reason) == (400, "InvalidParameterValue"), path
        assert "control characters" in answer.body["message"]


def test_a_stale_request_is_in_its_merchants_journal(
    runtime: Runtime, merchant: MerchantCredentials, v2: V2Api, clock: FrozenClock
) -> None:
    v2.call("GET", "buyers/x", date=clock.now() + timedelta(hours=1))

    def rows(session: Any) -> list[Any]:
        from sqlalchemy import select

        from gateway.store.models import JournalEntry

        return list(session.scalars(select(JournalEntry)))

    entry = runtime.journal.db.run(rows, write=False)[-1]
    assert entry.error_code == "InvalidHeaderValue"
    assert entry.merchant_id is not None
