"""The dashboard in process (Flask test client): every page and action, confirmation first,
bad input shown as a clear error on the page (never a 500). Actions are checked on the order
as the JSON API shows it (the same domain functions)."""

from __future__ import annotations

import re

import pytest

from tests.admin.helpers import captured, open_order, order

ITEMS = [
    {"sku": "MUG", "title": "Mug", "quantity": 2, "unit_price": "15.00"},
    {"sku": "TEE", "title": "T-shirt", "quantity": 1, "unit_price": "20.00"},
]


def _base(api, order_id: str = "") -> str:
    path = f"/sandbox/merchants/{api.merchant.seller_id}/orders"
    return f"{path}/{order_id}" if order_id else path


def _csrf(api, page: str) -> str:
    """The CSRF token of a confirmation page (and the cookie the client now holds)."""
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def _confirm(api, order_id: str, action: str, **values: str):
    """Open the confirmation page of ``action``, then confirm it; the response."""
    confirm = api.client.get(f"{_base(api, order_id)}/{action}", query_string=values)
    assert confirm.status_code == 200
    text = confirm.get_data(as_text=True)
    assert "Yes:" in text
    form = {"csrf": _csrf(api, text), "confirmed": "yes", **values}
    return api.client.post(f"{_base(api, order_id)}/{action}", data=form)


def test_a_browser_on_root_goes_to_the_dashboard_and_fps_calls_do_not(api):
    browser = api.client.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.status_code == 303 and browser.headers["Location"].endswith("/sandbox/")
    script = api.client.get("/")
    assert script.status_code == 400 and b"<Code>InvalidParams</Code>" in script.data
    fps = api.client.get("/?Action=GetAccountBalance", headers={"Accept": "text/html"})
    assert fps.status_code != 303


def test_merchant_picker_and_order_list_show_payment_status_and_amounts(api):
    order_id = captured(api, "40.00")
    draft = open_order(api, "12.00")
    home = api.client.get("/sandbox/")
    assert home.status_code == 200 and api.merchant.seller_id in home.get_data(as_text=True)
    listing = api.client.get(_base(api)).get_data(as_text=True)
    assert order_id in listing and draft in listing
    assert "status-Captured" in listing and "40.00" in listing
    small = api.client.get(_base(api), query_string={"amount_max": "20"}).get_data(as_text=True)
    assert draft in small and order_id not in small
    closed = api.client.get(_base(api), query_string={"state": "Closed"}).get_data(as_text=True)
    assert draft not in closed and order_id not in closed
    found = api.client.get(_base(api), query_string={"q": order_id}).get_data(as_text=True)
    assert order_id in found and draft not in found


def test_order_list_pages_by_cursor(api, monkeypatch):
    from gateway.api import dashboard

    monkeypatch.setattr(dashboard, "PAGE_SIZE", 2)
    made = [open_order(api, f"{n}.00") for n in range(1, 4)]
    first = api.client.get(_base(api)).get_data(as_text=True)
    cursor = re.search(r'cursor=([^"&]+)"', first)
    assert cursor and made[2] in first and made[0] not in first
    second = api.client.get(_base(api) + "?cursor=" + cursor.group(1)).get_data(as_text=True)
    assert made[0] in second and made[2] not in second


@pytest.mark.parametrize(
    "query",
    [{"state": "Nonsense"}, {"amount_min": "ten"}, {"cursor": "garbage"}, {"amount_max": "-1"}],
)
def test_bad_list_filters_are_a_clear_error(api, query):
    response = api.client.get(_base(api), query_string=query)
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)


def test_order_page_shows_items_payments_and_timeline(api):
    order_id = captured(api, "50.00", line_items=ITEMS)
    page = api.client.get(_base(api, order_id)).get_data(as_text=True)
    for text in ("MUG", "T-shirt", "Authorization", "Capture", "Completed", "Timeline", "57.50"):
        assert text in page
    assert "Aria" not in page  # every control has a label: checked in the browser test


def test_unknown_order_and_merchant_are_404_pages(api):
    assert api.client.get(_base(api, "S01-0000000-0000000")).status_code == 404
    response = api.client.get("/sandbox/merchants/NOPE/orders")
    assert response.status_code == 404 and "NOPE" in response.get_data(as_text=True)


def test_refund_in_part_after_confirmation(api):
    order_id = captured(api, "100.00")
    confirm = api.client.get(f"{_base(api, order_id)}/refund", query_string={"amount": "30.00"})
    assert "115.00" in confirm.get_data(as_text=True)  # the most: 100 + 15 %
    assert order(api, order_id)["refunded_amount"] == "0.00"  # nothing before confirming
    done = _confirm(api, order_id, "refund", amount="30.00")
    assert done.status_code == 200 and "Pending" in done.get_data(as_text=True)
    assert order(api, order_id)["refunded_amount"] == "30.00"


def test_refund_over_the_cap_is_an_error_on_the_page(api):
    order_id = captured(api, "100.00")
    done = _confirm(api, order_id, "refund", amount="115.01")
    assert done.status_code == 400
    assert "exceeds" in done.get_data(as_text=True)
    assert order(api, order_id)["refunded_amount"] == "0.00"


def test_post_without_the_csrf_token_changes_nothing(api):
    order_id = captured(api, "100.00")
    api.client.get(_base(api, order_id))
    response = api.client.post(
        f"{_base(api, order_id)}/refund", data={"amount": "10.00", "confirmed": "yes"}
    )
    assert response.status_code == 403
    assert order(api, order_id)["refunded_amount"] == "0.00"


def test_cancel_line_items_then_the_rest(api):
    order_id = captured(api, "50.00", line_items=ITEMS)
    part = _confirm(api, order_id, "cancel", position="2")
    assert part.status_code == 200 and "Canceled in part" in part.get_data(as_text=True)
    assert order(api, order_id)["refunded_amount"] == "20.00"
    whole = _confirm(api, order_id, "cancel")
    assert "Canceled whole" in whole.get_data(as_text=True)
    assert order(api, order_id)["payment_status"] == "Canceled"


def test_capture_close_and_clock(api):
    order_id = open_order(api, "20.00")
    api.authorize(order_id, "20.00", api.unique_ref("auth"))
    assert "Capture" in _confirm(api, order_id, "capture").get_data(as_text=True)
    assert order(api, order_id)["payment_status"] == "Captured"
    assert "Order closed" in _confirm(api, order_id, "close").get_data(as_text=True)
    advanced = _confirm(api, order_id, "clock", how="advance", seconds="3600")
    assert "Clock now" in advanced.get_data(as_text=True)
    bad = _confirm(api, order_id, "clock", how="advance", seconds="soon")
    assert bad.status_code == 400 and "seconds" in bad.get_data(as_text=True)


def test_dispute_filed_and_resolved(api):
    order_id = captured(api, "60.00")
    filed = _confirm(api, order_id, "dispute", type="a-to-z-claim")
    assert "filed" in filed.get_data(as_text=True)
    dispute_id = re.search(r'name="dispute_id" value="([^"]+)"', filed.get_data(as_text=True))
    assert dispute_id
    resolved = _confirm(api, order_id, "resolve", dispute_id=dispute_id.group(1), outcome="denied")
    assert resolved.status_code == 200 and "Denied" in resolved.get_data(as_text=True)


def test_delete_order(api):
    order_id = open_order(api, "10.00")
    done = _confirm(api, order_id, "delete")
    assert done.status_code == 200 and "Deleted" in done.get_data(as_text=True)
    assert api.client.get(_base(api, order_id)).status_code == 404


def test_refund_on_cancel_setting(api):
    order_id = open_order(api, "10.00")
    done = _confirm(api, order_id, "refund-on-cancel", value="manual")
    assert "Refund on cancel: manual" in done.get_data(as_text=True)
    bad = _confirm(api, order_id, "refund-on-cancel", value="sometimes")
    assert bad.status_code == 400


def test_unknown_action_is_404(api):
    order_id = open_order(api, "10.00")
    assert api.client.get(f"{_base(api, order_id)}/explode").status_code == 404


def test_notifications_page_filters_and_redelivers(api, runtime):
    order_id = captured(api, "10.00")
    base = f"/sandbox/merchants/{api.merchant.seller_id}/notifications"
    page = api.client.get(base).get_data(as_text=True)
    assert order_id in page and "PaymentCapture" in page
    only = api.client.get(base, query_string={"type": "PaymentAuthorize"}).get_data(as_text=True)
    assert "PaymentAuthorize" in only and "PaymentCapture" not in only
    assert api.client.get(base, query_string={"delivery_state": "bogus"}).status_code == 400
    number = re.search(r"/notifications/(\d+)/redeliver", page)
    assert number
    csrf = _csrf(api, page)
    done = api.client.post(f"{base}/{number.group(1)}/redeliver", data={"csrf": csrf})
    assert done.status_code == 303 and "queued" in done.headers["Location"]
    refused = api.client.post(f"{base}/{number.group(1)}/redeliver", data={"csrf": "forged"})
    assert refused.status_code == 403


def test_journal_shows_signed_requests_and_the_expected_string_to_sign(api, runtime):
    captured(api, "10.00")
    form = api.form("GetServiceStatus")
    form["Signature"] = "bm90IGl0"
    assert api.post(form).code == "SignatureDoesNotMatch"
    page = api.client.get(f"/sandbox/merchants/{api.merchant.seller_id}/journal")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Authorize" in text
    assert "SignatureDoesNotMatch" in text and "string to sign the server expected" in text
    bad_cursor = api.client.get(
        f"/sandbox/merchants/{api.merchant.seller_id}/journal", query_string={"cursor": "x"}
    )
    assert bad_cursor.status_code == 400


def test_merchant_page_shows_credentials_and_ipn_url(api):
    page = api.client.get(f"/sandbox/merchants/{api.merchant.seller_id}").get_data(as_text=True)
    assert api.merchant.access_key in page and "ipn_url" in page and "API tokens" in page


def test_with_tokens_required_the_dashboard_asks_once_and_keeps_it(api, runtime):
    admin_token = "gwa_" + "b" * 43
    runtime.settings = runtime.settings.replace(require_token=True, admin_token=admin_token)
    orders = _base(api)
    asked = api.client.get(orders)
    assert asked.status_code == 303 and asked.headers["Location"].endswith("/sandbox/login")
    wrong = api.client.post("/sandbox/login", data={"token": "gwa_wrong"})
    assert wrong.status_code == 401 and "not valid" in wrong.get_data(as_text=True)
    assert api.client.get(orders).status_code == 303
    kept = api.client.post("/sandbox/login", data={"token": admin_token})
    assert kept.status_code == 303
    assert api.client.get(orders).status_code == 200
