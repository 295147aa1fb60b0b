"""The control API checks every value before it reaches the domain or the database: a clear JSON
error, never a 500, on SQLite and PostgreSQL alike (PostgreSQL refuses NUL in text, values longer
than their column and ids beyond int4, where SQLite stores or answers them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from gateway.fps.models import FpsToken
from gateway.store.models import Merchant
from tests.helpers import SignedApi

BASE = "/sandbox/api/v1"


def merchant_path(api: SignedApi) -> str:
    return f"{BASE}/merchants/{api.merchant.seller_id}"


def call(api: SignedApi, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    response = getattr(api.client, method)(path, **kwargs)
    assert response.is_json, response.get_data(as_text=True)
    return response.status_code, response.get_json()


def error_of(api: SignedApi, method: str, path: str, **kwargs: Any) -> tuple[int, str]:
    status, document = call(api, method, path, **kwargs)
    return status, document["error"]["code"]


def test_a_body_nested_beyond_the_parser_is_invalid_json(api):
    deep = "[" * 100_000
    assert error_of(
        api, "post", f"{BASE}/merchants", data=deep, content_type="application/json"
    ) == (400, "InvalidJson")


@pytest.mark.parametrize("number", ["1e400", "-1e400", "NaN", "Infinity", "-Infinity"])
def test_a_body_with_a_number_out_of_range_is_invalid_json(api, number):
    status, document = call(
        api,
        "post",
        f"{merchant_path(api)}/clock/advance",
        data=f'{{"seconds": {number}}}',
        content_type="application/json",
    )
    assert (status, document["error"]["code"]) == (400, "InvalidJson")
    assert number.lstrip("-") in document["error"]["message"]


def test_a_body_that_is_not_utf8_is_invalid_json(api):
    body = b'{"name": "\xff"}'
    assert error_of(
        api, "post", f"{BASE}/merchants", data=body, content_type="application/json"
    ) == (400, "InvalidJson")


@pytest.mark.parametrize("notification_id", ["2147483648", "9223372036854775808", "9" * 5000])
def test_a_notification_id_no_row_can_have_is_not_found(api, notification_id):
    path = f"{merchant_path(api)}/notifications/{notification_id}"
    assert error_of(api, "get", path) == (404, "NotFound")
    assert error_of(api, "post", f"{path}/redeliver") == (404, "NotFound")


def test_the_largest_notification_id_is_looked_up(api):
    path = f"{merchant_path(api)}/notifications/2147483647"
    assert error_of(api, "get", path) == (404, "NotificationNotFound")


@pytest.mark.parametrize(
    ("method", "path", "parameter"),
    [
        ("get", "/merchants/%00", "seller_id"),
        ("patch", "/merchants/A%01B", "seller_id"),
        ("get", "/merchants/{seller}/order-references/%00", "amazon_id"),
        ("post", "/merchants/{seller}/disputes/D%00/resolve", "dispute_id"),
        ("get", "/merchants/{seller}/fps/transactions/%7f", "transaction_id"),
        ("get", "/merchants/{seller}/notifications?object_id=%00", "object_id"),
        ("get", "/merchants/{seller}/notifications?type=a%00", "type"),
        ("get", "/merchants/{seller}/wait?object_id=%00&state=Open", "object_id"),
        ("get", "/merchants/{seller}/wait?object_id=x&state=Open&%00=1", "\x00"),
    ],
)
def test_control_characters_in_the_path_or_query_are_refused_naming_the_parameter(
    api, method, path, parameter
):
    url = BASE + path.format(seller=api.merchant.seller_id)
    status, document = call(api, method, url, json={"outcome": "granted"})
    assert (status, document["error"]["code"]) == (400, "InvalidParameterValue")
    assert list(document["error"]["fields"]) == [parameter]
    assert repr(parameter) in document["error"]["message"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("", {"name": "a\x00b"}, ["name"]),
        ("", {"store_name": "tab\tis fine but not \x1b"}, ["store_name"]),
        ("", {"ipn_url": "http://127.0.0.1/\x00"}, ["ipn_url"]),
        ("/order-references", {"seller_note": "\x00"}, ["seller_note"]),
        ("/order-references", {"destination": {"city": "Se\x00attle"}}, ["destination", "city"]),
        ("/order-references", {"buyer": {"email": '"\x01"@example.com'}}, ["buyer", "email"]),
        ("/order-references", {"amount": "1\x00"}, ["amount"]),
        ("/disputes", {"type": "chargeback", "amazon_order_reference_id": "\x00"}, None),
        ("/fps/tokens", {"token_type": "SingleUse", "caller_reference": "\x00"}, None),
        ("/fps/tokens", {"token_type": "SingleUse", "buyer": {"name": "\x85"}}, ["buyer", "name"]),
    ],
)
def test_control_characters_in_body_text_are_refused(api, path, body, field):
    method = "patch" if path == "" else "post"
    status, document = call(api, method, merchant_path(api) + path, json=body)
    assert (status, document["error"]["code"]) == (400, "ValidationError")
    messages = document["error"]["fields"]
    for name in field or [next(iter(body.keys() - {"type", "token_type"}))]:
        messages = messages[name]
    assert "control characters" in messages[0]


@pytest.mark.parametrize(
    ("path", "field", "longest", "make"),
    [
        ("", ["ipn_url"], 2048, lambda n: "http://127.0.0.1/" + "a" * (n - 17)),
        ("", ["name"], 128, lambda n: "n" * n),
        ("", ["store_name"], 128, lambda n: "s" * n),
        ("/fps/tokens", ["buyer", "email"], 256, lambda n: "b" * (n - 12) + "@example.com"),
        ("/fps/tokens", ["buyer", "name"], 128, lambda n: "b" * n),
        ("/fps/tokens", ["caller_reference"], 128, lambda n: "c" * n),
        ("/fps/tokens", ["friendly_name"], 128, lambda n: "f" * n),
    ],
)
def test_text_is_as_long_as_its_column_at_most(api, path, field, longest, make):
    """The longest value that fits is stored; one character more is a 400 naming the field."""
    method = "patch" if path == "" else "post"

    def body(length: int) -> dict[str, Any]:
        document: dict[str, Any] = {"token_type": "SingleUse"} if path else {}
        target = document
        for name in field[:-1]:
            target = target.setdefault(name, {})
        target[field[-1]] = make(length)
        return document

    status, document = call(api, method, merchant_path(api) + path, json=body(longest + 1))
    assert (status, document["error"]["code"]) == (400, "ValidationError")
    messages = document["error"]["fields"]
    for name in field:
        messages = messages[name]
    assert len(messages) == 1 and str(longest) in messages[0]
    status, document = call(api, method, merchant_path(api) + path, json=body(longest))
    assert status in (200, 201), document


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:99999/ipn", "port"),
        ("http://127.0.0.1:0/ipn", "port"),
        ("http://localhost:65536/", "port"),
        ("http://999.999.999.999/ipn", "IP address"),
        ("http://256.1.1.1/", "IP address"),
        ("ftp://127.0.0.1/ipn", "URL"),
        ("http://[::1/ipn", "URL"),
    ],
)
def test_an_ipn_url_that_cannot_be_posted_to_is_refused(api, url, problem):
    for method, path in (("patch", merchant_path(api)), ("post", f"{BASE}/merchants")):
        status, document = call(api, method, path, json={"ipn_url": url})
        assert (status, document["error"]["code"]) == (400, "ValidationError")
        assert problem in " ".join(document["error"]["fields"]["ipn_url"])


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:65535/ipn",
        "http://[::1]:8080/ipn",
        "https://shop.example/ipn?x=1",
        "http://localhost/ipn",
        "http://receiver:1/",
    ],
)
def test_an_ipn_url_that_can_be_posted_to_is_stored(api, url):
    status, document = call(api, "patch", merchant_path(api), json={"ipn_url": url})
    assert (status, document["ipn_url"]) == (200, url)


@pytest.mark.parametrize(
    "valid_until",
    [
        "0001-01-01T00:00:00+01:00",  # no UTC equivalent
        "9999-12-31T23:59:59-01:00",  # no UTC equivalent
        "1969-12-31T23:59:59Z",
        "2030-01-01T00:00:00",  # no offset: cannot be compared with the sandbox's clocks
    ],
)
def test_a_token_valid_until_that_cannot_be_stored_or_compared_is_refused(api, valid_until):
    body = {"token_type": "MultiUse", "limits": {"valid_until": valid_until}}
    status, document = call(api, "post", f"{merchant_path(api)}/fps/tokens", json=body)
    assert (status, document["error"]["code"]) == (400, "ValidationError")
    assert list(document["error"]["fields"]["limits"]) == ["valid_until"]


def test_a_token_valid_until_with_an_offset_is_stored_as_that_instant(api, runtime):
    body = {"token_type": "MultiUse", "limits": {"valid_until": "2030-01-01T00:30:00+01:00"}}
    status, document = call(api, "post", f"{merchant_path(api)}/fps/tokens", json=body)
    assert status == 201, document
    stored = runtime.db.run(lambda s: s.scalar(select(FpsToken.valid_until)), write=False)
    assert stored == datetime(2029, 12, 31, 23, 30, tzinfo=UTC)


def test_a_clock_is_not_advanced_past_the_latest_time_it_can_show(api, runtime, clock):
    """Step by step, 400 days at a time, a clock would reach the end of the calendar, and every
    due time planned from it (months ahead) would overflow: the clock stops short of that."""
    late = datetime(8999, 12, 1, tzinfo=UTC)

    def move_offset(session: Any) -> None:
        session.execute(
            update(Merchant)
            .where(Merchant.seller_id == api.merchant.seller_id)
            .values(clock_offset_seconds=(late - clock.now()).total_seconds())
        )

    runtime.db.run(move_offset)
    advance = f"{merchant_path(api)}/clock/advance"
    status, document = call(api, "post", advance, json={"seconds": 400 * 86400})
    assert (status, document["error"]["code"]) == (400, "InvalidParameterValue")
    assert "9000-01-01" in document["error"]["message"]
    status, document = call(api, "post", advance, json={"seconds": 86400})
    assert (status, document["now"]) == (200, "8999-12-02T00:00:00.000Z")
    order_id = api.new_order()
    assert api.ok("GetOrderReferenceDetails", AmazonOrderReferenceId=order_id).status == 200
