"""Resetting a merchant and the sandbox (in process): objects, notifications and journal gone,
clock back to real time; keys, settings and preferences kept; other merchants untouched."""

from __future__ import annotations

from tests.admin.helpers import captured, control
from tests.helpers import SignedApi, new_merchant


def state(api: SignedApi):
    return {
        "notifications": api.client.get(
            f"/sandbox/api/v1/merchants/{api.merchant.seller_id}/notifications"
        ).get_json()["items"],
        "journal": control(api, "get", "/journal", 200)["items"],
        "tokens": control(api, "get", "/fps/tokens", 200),
    }


def test_a_reset_removes_a_merchants_objects_and_keeps_its_keys(api, app, runtime, clock):
    other = SignedApi(app.test_client(), new_merchant(runtime), clock)
    kept = captured(other, "12.00")
    control(api, "put", "/preferences", 200, refund_on_cancel="manual")
    order_id = captured(api, "40.00")
    control(api, "post", f"/orders/{order_id}/refunds", 201, amount="4.00")
    control(api, "post", "/fps/tokens", 201, token_type="MultiUse", payment_method="ABT")
    agreement = control(api, "post", "/billing-agreements", 201)["amazon_billing_agreement_id"]
    control(api, "post", "/clock/advance", 200, seconds=3600)
    control(api, "post", "/clock/freeze", 200)
    before = state(api)
    assert before["notifications"] and before["journal"]

    done = control(api, "post", "/reset", 200)
    assert (done["clock"]["offset_seconds"], done["clock"]["frozen"]) == (0, False)
    api.error(
        "GetOrderReferenceDetails", "InvalidOrderReferenceId", 404, AmazonOrderReferenceId=order_id
    )
    assert api.call("GetBillingAgreementDetails", AmazonBillingAgreementId=agreement).status == 404
    after = state(api)
    assert after["notifications"] == []
    # The journal holds only the request made since (the error just above).
    assert [e["action"] for e in after["journal"]] == [
        "GetBillingAgreementDetails",
        "GetOrderReferenceDetails",
    ]
    assert control(api, "get", "/preferences", 200) == {"refund_on_cancel": "manual"}
    assert captured(api, "5.00")  # keys still sign; reference ids are free again
    other.ok("GetOrderReferenceDetails", AmazonOrderReferenceId=kept)


def test_the_sandbox_reset_resets_every_merchant(api, app, runtime, clock):
    other = SignedApi(app.test_client(), new_merchant(runtime), clock)
    mine, theirs = captured(api, "3.00"), captured(other, "4.00")
    response = api.client.post("/sandbox/api/v1/reset")
    assert response.status_code == 200 and response.get_json()["merchants_reset"] == 2
    api.error(
        "GetOrderReferenceDetails", "InvalidOrderReferenceId", 404, AmazonOrderReferenceId=mine
    )
    other.error(
        "GetOrderReferenceDetails", "InvalidOrderReferenceId", 404, AmazonOrderReferenceId=theirs
    )


def test_resetting_an_unknown_merchant_is_404(api):
    response = api.client.post("/sandbox/api/v1/merchants/ANOSUCHSELLER/reset")
    assert (
        response.status_code == 404 and response.get_json()["error"]["code"] == "MerchantNotFound"
    )
