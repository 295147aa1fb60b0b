"""Export and import of a merchant (in process): the document holds the merchant's objects, an
import into a fresh merchant gives the same objects, and a bad document is refused whole with
the path of the entry at fault."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest

from gateway.transfer.jsonstream import DocumentError, Reader, members
from tests.admin.helpers import captured, control
from tests.helpers import SignedApi

ID_KEY = re.compile(r"(_id|Id)$")


def canonical(document: Any) -> Any:
    """The document with each id replaced by the order it first appears in, and what differs
    between an export and its import's export (the seller, the time, the messages) left out."""
    names: dict[str, str] = {}

    def walk(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {
                k: walk(v, k)
                for k, v in value.items()
                if k not in ("seller_id", "exported_at", "message")
            }
        if isinstance(value, list):
            return [walk(v, key) for v in value]
        if isinstance(value, str) and (ID_KEY.search(key) or key == "amazon_id"):
            return names.setdefault(value, f"id{len(names)}")
        return value

    return walk(document)


def export(api: SignedApi, seller_id: str | None = None) -> dict[str, Any]:
    response = api.client.get(
        f"/sandbox/api/v1/merchants/{seller_id or api.merchant.seller_id}/export"
    )
    assert response.status_code == 200 and response.mimetype == "application/json"
    document: dict[str, Any] = json.loads(response.data)
    return document


def import_(api: SignedApi, data: bytes, status: int = 201, query: str = "") -> Any:
    response = api.client.post(
        f"/sandbox/api/v1/merchants/import{query}", data=data, content_type="application/json"
    )
    assert response.status_code == status, response.get_json()
    return response.get_json()


def populate(api: SignedApi) -> None:
    items = [{"sku": "MUG", "title": "Mug", "quantity": 2, "unit_price": "15.00"}]
    order_id = captured(api, "30.00", line_items=items)
    control(
        api, "post", f"/orders/{order_id}/cancel", 200, line_items=[{"sku": "MUG", "quantity": 1}]
    )
    disputed = captured(api, "20.00")
    dispute = control(
        api, "post", "/disputes", 201, type="a-to-z-claim", amazon_order_reference_id=disputed
    )
    control(api, "post", f"/disputes/{dispute['dispute_id']}/resolve", 200, outcome="granted")
    api.open_order("5.00")
    control(api, "post", "/fps/tokens", 201, token_type="MultiUse", payment_method="ABT")
    agreement = control(api, "post", "/billing-agreements", 201)["amazon_billing_agreement_id"]
    api.ok("ConfirmBillingAgreement", AmazonBillingAgreementId=agreement)
    on_agreement = api.call(
        "AuthorizeOnBillingAgreement",
        AmazonBillingAgreementId=agreement,
        AuthorizationReferenceId=api.unique_ref("ba"),
        **{"AuthorizationAmount.Amount": "7.00", "AuthorizationAmount.CurrencyCode": "USD"},
        TransactionTimeout="0",
    )
    assert on_agreement.status == 200
    control(api, "post", "/clock/advance", 200, seconds=10)


def test_an_import_gives_the_same_objects(api):
    populate(api)
    first = export(api)
    assert first["format"] == "amazon-pay-simulator/merchant" and first["version"] == 1
    assert len(first["order_references"]) == 4 and len(first["fps_tokens"]) == 1
    assert len(first["billing_agreements"]) == 1
    assert (
        first["order_references"][-1]["billing_agreement_id"]
        == first["billing_agreements"][0]["amazon_id"]
    )
    assert first["notifications"] and first["reference_ids"]
    made = import_(api, json.dumps(first).encode())
    assert made["seller_id"] != api.merchant.seller_id
    assert made["imported"]["order_references"] == 4
    second = export(api, made["seller_id"])
    assert canonical(second) == canonical(first)
    ids = [o["amazon_id"] for o in second["order_references"]]
    assert not set(ids) & {o["amazon_id"] for o in first["order_references"]}


def test_imported_objects_answer_the_signed_api(api, app, clock):
    populate(api)
    first = export(api)
    made = import_(api, json.dumps(first).encode())
    from tests.helpers import MerchantCredentials

    other = SignedApi(
        app.test_client(),
        MerchantCredentials(made["seller_id"], made["access_key"], made["secret_key"]),
        clock,
    )
    second = export(api, made["seller_id"])
    order = second["order_references"][0]
    refund = order["authorizations"][0]["captures"][0]["refunds"][0]
    answer = other.ok("GetRefundDetails", AmazonRefundId=refund["amazon_id"])
    assert answer.find("GetRefundDetailsResult/RefundDetails/RefundStatus/State") == "Completed"


def test_keep_ids_refuses_ids_in_use_and_keeps_nothing(api):
    populate(api)
    text = json.dumps(export(api)).encode()
    error = import_(api, text, 400, "?keep_ids=true")
    assert "in use" in error["error"]["message"]
    merchants_before = api.client.get(
        f"/sandbox/api/v1/merchants/{api.merchant.seller_id}"
    ).status_code
    assert merchants_before == 200


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d["order_references"][1].update(state="Paid"), "order_references[1].state"),
        (
            lambda d: d["order_references"][0]["authorizations"][0].update(amount_minor="x"),
            "order_references[0].authorizations[0].amount_minor",
        ),
        (lambda d: d.update(format="other"), "format"),
        (lambda d: d["merchant"].update(refund_on_cancel="never"), "merchant.refund_on_cancel"),
        (lambda d: d["notifications"].append(7), "notifications["),
    ],
)
def test_a_bad_document_is_refused_naming_the_entry(api, change, path):
    populate(api)
    document = export(api)
    change(document)
    error = import_(api, json.dumps(document).encode(), 400)["error"]
    assert error["code"] == "InvalidDocument" and path in error["message"], error


def test_truncated_or_non_json_documents_are_refused(api):
    populate(api)
    text = json.dumps(export(api)).encode()
    error = import_(api, text[: len(text) // 2], 400)["error"]
    assert error["code"] == "InvalidDocument"
    response = api.client.post(
        "/sandbox/api/v1/merchants/import", data=text, content_type="text/plain"
    )
    assert response.status_code == 415


def test_the_reader_reads_arrays_one_element_at_a_time():
    text = json.dumps(
        {"a": 1, "items": [{"n": i, "s": "x" * 50} for i in range(100)], "b": [1.5, 2]}
    )
    reader = Reader(io.BytesIO(text.encode()), chunk=7)
    found: dict[str, Any] = {}
    for name, value in members(reader):
        found[name] = list(value) if name in ("items", "b") else value
    reader.end()
    assert found == json.loads(text)
    with pytest.raises(DocumentError):
        bad = Reader(io.BytesIO(b'{"a": [1, 2'), chunk=3)
        for _, value in members(bad):
            list(value)
