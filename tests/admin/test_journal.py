"""The request journal (in process): what an entry holds, redaction, the expected string to sign
of a bad signature, requests of no merchant, and the ring's bound."""

from __future__ import annotations

from clients import sigv2
from gateway.store import journal as journal_store
from gateway.store import merchants
from gateway.wire.journal import TRIM_EVERY
from tests.admin.helpers import control
from tests.helpers import HOST, PATH


def entries(api, **args):
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return control(api, "get", f"/journal?{query}", 200)["items"]


def test_an_answered_request_is_journaled_with_its_secrets_redacted(api):
    order_id = api.new_order()
    api.ok("GetOrderReferenceDetails", AmazonOrderReferenceId=order_id)
    [entry] = entries(api)
    assert (entry["action"], entry["status"], entry["service"]) == (
        "GetOrderReferenceDetails",
        200,
        "Off-Amazon Payments",
    )
    params = entry["parameters"]
    assert params["Signature"] == "[redacted]"
    assert params["AWSAccessKeyId"] == api.merchant.access_key
    assert params["AmazonOrderReferenceId"] == order_id
    assert api.merchant.secret_key not in str(entry)
    assert entry["latency_ms"] > 0 and "error_code" not in entry


def test_a_bad_signature_keeps_the_string_to_sign_the_server_expected(api):
    form = api.form("GetServiceStatus")
    form["Signature"] = "bm90IGl0"
    answer = api.post(form)
    assert (answer.status, answer.code) == (403, "SignatureDoesNotMatch")
    [entry] = entries(api)
    unsigned = {k: v for k, v in form.items() if k != "Signature"}
    expected = sigv2.string_to_sign_v2("POST", HOST, PATH, unsigned)
    assert (entry["status"], entry["error_code"]) == (403, "SignatureDoesNotMatch")
    assert entry["string_to_sign"] == expected
    assert entries(api, failed="true") == [entry] and entries(api, failed="false") == []


def test_a_failed_operation_is_journaled_with_its_error(api):
    api.error(
        "GetOrderReferenceDetails",
        "InvalidOrderReferenceId",
        404,
        AmazonOrderReferenceId="S01-0000000-0000000",
    )
    [entry] = entries(api, action="GetOrderReferenceDetails")
    assert (entry["status"], entry["error_code"]) == (404, "InvalidOrderReferenceId")
    assert "S01-0000000-0000000" in entry["error_message"]


def test_requests_of_no_merchant_go_to_the_unattributed_journal(api):
    form = api.form("GetServiceStatus")
    form["AWSAccessKeyId"] = "AKIANOSUCHKEY0000000"
    assert api.post(form).code == "InvalidAccessKeyId"
    assert entries(api) == []
    found = api.client.get("/sandbox/api/v1/journal").get_json()["items"]
    assert [(e["error_code"], e["parameters"]["AWSAccessKeyId"]) for e in found] == [
        ("InvalidAccessKeyId", "AKIANOSUCHKEY0000000")
    ]


def test_the_ring_keeps_the_newest_entries_and_stays_bounded(api, runtime):
    runtime.journal.size = 5
    for _ in range(2 * TRIM_EVERY + 7):
        api.ok("GetServiceStatus")
    shown = entries(api, limit=500)
    assert len(shown) == 5
    first = entries(api, limit=3)
    rest = control(api, "get", f"/journal?limit=3&cursor={first[-1]['id']}", 200)
    assert [e["id"] for e in first + rest["items"]] == [e["id"] for e in shown]
    assert rest["next"] is None
    with runtime.db.session(write=False) as session:
        merchant = merchants.by_seller_id(session, api.merchant.seller_id)
    assert merchant is not None
    with runtime.journal.db.session(write=False) as session:
        assert journal_store.count(session, merchant.id) <= 5 + TRIM_EVERY


def test_a_journal_of_size_zero_keeps_nothing(api, runtime):
    runtime.journal.size = 0
    api.ok("GetServiceStatus")
    assert entries(api) == []


def test_bad_paging_arguments_are_refused(api):
    assert control(api, "get", "/journal?limit=0", 400)["error"]["code"] == "ValidationError"
    assert control(api, "get", "/journal?cursor=x", 400)["error"]["code"] == "ValidationError"
