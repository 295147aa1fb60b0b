"""Every endpoint: its happy path, and bad input (a body that is not JSON, wrong types, unknown
fields, unknown ids). Each answer is also checked against the OpenAPI document (``Control``)."""

from __future__ import annotations

import pytest

# (method, path under the seeded merchant, a valid body or None)
WRITES = [
    ("POST", "/order-references", {}),
    ("POST", "/clock/advance", {"seconds": 1}),
    ("POST", "/clock/freeze", None),
    ("POST", "/clock/resume", None),
    ("POST", "/clock/reset", None),
    ("POST", "/disputes", {"type": "a-to-z-claim", "amazon_capture_id": "{capture_id}"}),
    ("POST", "/fps/tokens", {"token_type": "SingleUse"}),
    ("PUT", "/fps/account", {"fee_percent": "2.5", "fee_fixed": "0.30"}),
    ("POST", "/tokens", {"name": "x"}),
    ("PATCH", "", {"store_name": "renamed"}),
]


def fill(path_or_body, seeded):
    if isinstance(path_or_body, dict):
        return {k: fill(v, seeded) for k, v in path_or_body.items()}
    if isinstance(path_or_body, str):
        return path_or_body.format(**vars(seeded))
    return path_or_body


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_a_body_not_sent_as_json_is_refused_with_415_and_nothing_changes(
    control, base, method, path, body
):
    before = control.get(base).json
    for content_type in ("application/x-www-form-urlencoded", "text/plain", None):
        headers = {"Content-Type": content_type} if content_type else {}
        answer = control.call(
            method, base + path, data=b'{"seconds": 1}', headers=headers, status=415
        )
        assert answer.json["error"]["code"] == "UnsupportedMediaType"
        assert "application/json" in answer.json["error"]["message"]
    assert control.get(base).json == before


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_bad_json_bodies_are_400(control, base, method, path, body):
    url = base + path
    for raw, code in [
        (b"{not json", "InvalidJson"),
        (b"[1, 2]", "InvalidJson"),
        (b"[" * 100_000, "InvalidJson"),
        (b'{"no_such_field": 1}', "ValidationError"),
    ]:
        answer = control.call(
            method, url, data=raw, headers={"Content-Type": "application/json"}, status=400
        )
        assert answer.json["error"]["code"] == code
    assert "no_such_field" in answer.json["error"]["message"]
    assert answer.json["error"]["fields"]["no_such_field"] == ["Unknown field."]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_each_write_succeeds_with_a_valid_body(control, seeded, method, path, body):
    answer = control.call(method, seeded.base + path, json=fill(body, seeded))
    assert answer.status in (200, 201), answer.json


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/clock/advance", {"seconds": "soon"}, "seconds"),
        ("POST", "/clock/advance", {"seconds": -1}, "seconds"),
        ("POST", "/clock/advance", {}, "seconds"),
        ("POST", "/disputes", {"type": "refund-please"}, "type"),
        ("POST", "/disputes", {"type": "chargeback", "amount": 5}, "amount"),
        ("POST", "/disputes/D-1/resolve", {"outcome": "maybe"}, "outcome"),
        ("POST", "/order-references", {"buyer": {"email": "not-an-email"}}, "buyer.email"),
        ("POST", "/order-references", {"amount": "1e3"}, "amount"),
        ("POST", "/order-references", {"seller_note": "a\x00b"}, "seller_note"),
        (
            "POST",
            "/fps/tokens",
            {"token_type": "MultiUse", "limits": {"valid_until": "0001-01-01T00:00:00+01:00"}},
            "limits.valid_until",
        ),
        ("PUT", "/fps/account", {"fee_percent": 101, "fee_fixed": "0.30"}, "fee_percent"),
        ("PATCH", "", {"settle_delay_seconds": "5s"}, "settle_delay_seconds"),
        ("PATCH", "", {"ipn_url": "ftp://x"}, "ipn_url"),
        ("PATCH", "", {"ipn_url": "http://x/" + "a" * 2100}, "ipn_url"),
        ("POST", "/tokens", {"name": 7}, "name"),
    ],
)
def test_wrong_types_and_values_are_400_naming_the_field(control, base, method, path, body, field):
    answer = control.call(method, base + path, json=body, status=400)
    assert answer.json["error"]["code"] == "ValidationError"
    assert f"{field}:" in answer.json["error"]["message"], answer.json


def test_a_new_merchant_is_made_and_a_taken_seller_id_is_409(control):
    made = control.post("/merchants", json={"seller_id": "AFIXEDSELLER1"}, status=201).json
    assert made["seller_id"] == "AFIXEDSELLER1" and made["clock"]["frozen_at"] is None
    assert control.get("/merchants/AFIXEDSELLER1", status=200).json == made
    answer = control.post("/merchants", json={"seller_id": "AFIXEDSELLER1"}, status=409)
    assert answer.json["error"]["code"] == "MerchantExists"


@pytest.mark.parametrize(
    ("method", "path", "code"),
    [
        ("GET", "/order-references/S01-0000000-0000000", "InvalidOrderReferenceId"),
        ("GET", "/order-references/{other_order_id}", "InvalidOrderReferenceId"),
        ("POST", "/disputes/NO-SUCH-DISPUTE/resolve", None),
        ("GET", "/fps/transactions/NOSUCHTRANSACTION", None),
        ("GET", "/notifications/2147483647", "NotificationNotFound"),
        ("GET", "/notifications/2147483648", "NotFound"),
        ("GET", "/notifications/0", "NotFound"),
        ("POST", "/notifications/999999/redeliver", "NotificationNotFound"),
        ("DELETE", "/tokens/999999", "TokenNotFound"),
    ],
)
def test_unknown_and_other_merchants_ids_are_not_found(control, seeded, method, path, code):
    body = {"outcome": "granted"} if path.endswith("/resolve") else None
    answer = control.call(method, seeded.base + fill(path, seeded), json=body)
    assert answer.status in (400, 404), answer.json
    if code is not None:
        assert answer.json["error"]["code"] == code


@pytest.mark.parametrize("seller", ["ANOBODY", "A" * 300])
def test_an_unknown_merchant_is_404_on_every_merchant_path(control, seller):
    for method, path in [
        ("GET", ""),
        ("GET", "/clock"),
        ("GET", "/orders"),
        ("GET", "/fps/tokens"),
        ("GET", "/fps/account"),
        ("GET", "/tokens"),
        ("GET", "/notifications"),
        ("GET", "/wait?object_id=x&state=Open&timeout=0"),
    ]:
        answer = control.call(method, f"/merchants/{seller}{path}", status=404)
        assert answer.json["error"]["code"] == "MerchantNotFound"


def test_reads_of_the_seeded_objects(control, seeded):
    order = control.get(f"{seeded.base}/order-references/{seeded.order_id}", status=200).json
    assert (
        order["state"] == "Open" and order["details"]["AmazonOrderReferenceId"] == seeded.order_id
    )
    clock = control.get(f"{seeded.base}/clock", status=200).json
    assert clock["frozen"] is False
    note = control.get(f"{seeded.base}/notifications/{seeded.notification_id}", status=200).json
    assert note["id"] == seeded.notification_id and "request" in note
    account = control.get(f"{seeded.base}/fps/account", status=200).json
    assert set(account) == {"fee_percent", "fee_fixed"}
    tokens = control.get(f"{seeded.base}/fps/tokens", status=200).json["items"]
    assert [t["TokenId"] for t in tokens] == [seeded.fps_token_id]
    reached = control.get(
        f"{seeded.base}/wait",
        query={"object_id": seeded.capture_id, "state": "Completed", "timeout": 0},
        status=200,
    ).json
    assert reached["object_kind"] == "Capture"
    late = control.get(
        f"{seeded.base}/wait",
        query={"object_id": seeded.refund_id, "state": "Completed", "timeout": 0},
        status=408,
    )
    assert late.json["error"]["code"] == "WaitTimeout"
    control.get(f"{seeded.base}/wait", query={"state": "Open"}, status=400)
    resolved = control.post(
        f"{seeded.base}/disputes/{seeded.dispute_id}/resolve",
        json={"outcome": "denied"},
        status=200,
    ).json
    assert resolved["state"] == "Denied"


def test_a_method_not_allowed_is_405_json_with_allow(control, seeded):
    answer = control.call("DELETE", f"{seeded.base}/clock", status=405)
    assert answer.json["error"]["code"] == "MethodNotAllowed"
    assert "GET" in answer.headers["Allow"]
