"""Lists: keyset pages (`{"items", "next"}`), filters, and bad paging arguments."""

from __future__ import annotations

from datetime import timedelta

import pytest


def all_pages(control, path, **query):
    items, cursor, pages = [], None, 0
    while True:
        answer = control.get(path, query={**query, **({"cursor": cursor} if cursor else {})})
        assert answer.status == 200, answer.json
        items += answer.json["items"]
        pages += 1
        cursor = answer.json["next"]
        if cursor is None:
            return items, pages


def test_orders_page_newest_first_without_gaps_or_repeats(control, api, clock, seeded):
    made = [seeded.order_id]
    for _ in range(6):
        clock.advance(60)
        made.append(api.new_order(amount="5.00"))
    items, pages = all_pages(control, f"{seeded.base}/orders", limit=2)
    ids = [o["amazon_order_reference_id"] for o in items]
    assert ids[: len(made) - 1] == list(reversed(made))[:-1]
    assert len(ids) == len(set(ids)) and set(made) <= set(ids)
    assert pages == (len(ids) + 1) // 2


def test_an_order_shows_what_was_captured_and_refunded(control, seeded, api, clock):
    clock.advance(10)
    control.post(f"{seeded.base}/clock/advance", json={"seconds": 10}, status=200)
    (order,) = control.get(f"{seeded.base}/orders", query={"q": seeded.refund_id}).json["items"]
    assert order["amazon_order_reference_id"] == seeded.order_id
    assert (order["amount"], order["captured_amount"], order["refunded_amount"]) == (
        "100.00",
        "100.00",
        "10.00",
    )
    assert order["state"] == "Open" and order["buyer_name"] == "Sandbox Buyer"


def test_order_filters_state_dates_amounts_and_search(control, api, clock, seeded):
    base = f"{seeded.base}/orders"
    start = clock.now()
    clock.advance(3600)
    small, big = api.new_order(amount="5.00"), api.new_order(amount="500.00")
    draft_ids = {
        o["amazon_order_reference_id"]
        for o in control.get(base, query={"state": "Draft"}).json["items"]
    }
    assert {small, big} <= draft_ids and seeded.order_id not in draft_ids
    both = control.get(base, query={"state": ["Draft", "Open"]}).json["items"]
    assert {seeded.order_id, small, big} <= {o["amazon_order_reference_id"] for o in both}
    later = (start + timedelta(seconds=60)).isoformat()
    recent = control.get(base, query={"created_from": later}).json["items"]
    assert {o["amazon_order_reference_id"] for o in recent} == {small, big}
    early = control.get(base, query={"created_to": later}).json["items"]
    assert small not in {o["amazon_order_reference_id"] for o in early}
    priced = control.get(base, query={"amount_min": "10", "amount_max": "200"}).json["items"]
    assert (
        {o["amazon_order_reference_id"] for o in priced}
        == {
            seeded.order_id,  # 100.00
            seeded.disputed_capture_id[:19],  # 50.00
        }
    )
    found = control.get(base, query={"q": seeded.capture_id}).json["items"]
    assert [o["amazon_order_reference_id"] for o in found] == [seeded.order_id]
    assert control.get(base, query={"q": "no-such-order"}).json == {"items": [], "next": None}


def test_payment_lists_by_kind_state_and_parent(control, seeded):
    auths = control.get(f"{seeded.base}/authorizations").json["items"]
    assert {a["amazon_order_reference_id"] for a in auths} == {
        seeded.order_id,
        seeded.disputed_capture_id[:19],
    }
    captures = control.get(
        f"{seeded.base}/captures", query={"amazon_order_reference_id": seeded.order_id}
    ).json["items"]
    assert [c["amazon_id"] for c in captures] == [seeded.capture_id]
    assert captures[0]["amazon_authorization_id"] == seeded.authorization_id
    refunds = control.get(
        f"{seeded.base}/refunds", query={"amazon_capture_id": seeded.capture_id}
    ).json["items"]
    assert [(r["amazon_id"], r["state"], r["amount"]) for r in refunds] == [
        (seeded.refund_id, "Pending", "10.00")
    ]
    assert control.get(f"{seeded.base}/refunds", query={"state": "Completed"}).json["items"] == []


def test_disputes_and_notifications_filter(control, seeded):
    disputes = control.get(f"{seeded.base}/disputes", query={"type": "chargeback"}).json["items"]
    assert [d["dispute_id"] for d in disputes] == [seeded.dispute_id]
    assert control.get(f"{seeded.base}/disputes", query={"state": "Denied"}).json["items"] == []
    notes, _ = all_pages(control, f"{seeded.base}/notifications", limit=3)
    assert notes and [n["id"] for n in notes] == sorted((n["id"] for n in notes), reverse=True)
    captures = control.get(f"{seeded.base}/notifications", query={"type": "PaymentCapture"}).json[
        "items"
    ]
    assert len(captures) == 2 and {n["notification_type"] for n in captures} == {"PaymentCapture"}
    states = {n["delivery_state"] for n in notes}
    (state,) = sorted(states)[:1]
    only = control.get(f"{seeded.base}/notifications", query={"delivery_state": state}).json
    assert only["items"] and {n["delivery_state"] for n in only["items"]} == {state}


def test_merchants_are_listed_and_searched(control, seeded):
    listed, _ = all_pages(control, "/merchants", limit=1)
    assert {seeded.merchant.seller_id, seeded.other.seller_id} <= {m["seller_id"] for m in listed}
    found = control.get("/merchants", query={"q": "OTHER"}).json["items"]
    assert [m["seller_id"] for m in found] == [seeded.other.seller_id]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "WzFd"}, "cursor"),  # [1]: an id cursor given to the (created_at, id) list
        ({"state": "Shipped"}, "state"),
        ({"created_from": "2026-01-01T00:00:00"}, "created_from"),
        ({"created_from": "0001-01-01T00:00:00+01:00"}, "created_from"),
        ({"amount_min": "-1"}, "amount_min"),
        ({"amount_min": "5", "amount_max": "1"}, "amount_min"),
        ({"q": "a\x00b"}, "q"),
        ({"sort": "id"}, "sort"),
    ],
)
def test_bad_list_arguments_are_400_naming_the_parameter(control, seeded, query, field):
    answer = control.get(f"{seeded.base}/orders", query=query, status=400)
    # (control characters are refused before the view reads the query: InvalidParameterValue)
    assert answer.json["error"]["code"] in ("ValidationError", "InvalidParameterValue")
    assert field in answer.json["error"]["message"], answer.json


def test_a_parameter_given_twice_is_refused(control, seeded):
    answer = control.get(f"{seeded.base}/orders?limit=1&limit=2", status=400)
    assert "limit given more than once" in answer.json["error"]["message"]


def test_lists_of_an_unknown_merchant_are_404(control):
    for kind in ("orders", "authorizations", "captures", "refunds", "disputes", "notifications"):
        answer = control.get(f"/merchants/ANOBODY/{kind}", status=404)
        assert answer.json["error"]["code"] == "MerchantNotFound"
