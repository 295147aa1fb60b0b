"""The hosted buyer pages in process (Flask test client): sign in, address and payment method,
back to the shop's review URL, amazonPayRedirectUrl to the result URL; bad input answered by an
HTML page with the status that says why, never a 500."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.v2.domain_helpers import Shop, price

PAGE = "text/html"


def _session_arg(location: str) -> str:
    return parse_qs(urlsplit(location).query)["amazonCheckoutSessionId"][0]


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _choose(client: Any, session_id: str, card: str = "1111", **fields: str) -> Any:
    form = {
        "amazonCheckoutSessionId": session_id,
        "buyer": "jane-doe",
        "name": "Jane Doe",
        "address_line1": "1 Main St",
        "city": "Portland",
        "state_or_region": "OR",
        "postal_code": "97201",
        "country_code": "US",
        "card": card,
        **fields,
    }
    return client.post("/checkout/choose", data=form)


def test_the_buyer_signs_in_chooses_and_returns_to_the_shop(app: Any, shop: Shop) -> None:
    client = app.test_client()
    session_id = shop.session(merchantMetadata={"merchantStoreName": "Mug Shop"})
    signin = client.get("/checkout/signin", query_string={"amazonCheckoutSessionId": session_id})
    page = signin.get_data(as_text=True)
    assert signin.status_code == 200 and signin.mimetype == PAGE
    assert "Mug Shop" in page and "100.00 USD" in page and "Jane Doe" in page
    choose = client.get(
        "/checkout/choose",
        query_string={"amazonCheckoutSessionId": session_id, "buyer": "jane-doe"},
    )
    page = choose.get_data(as_text=True)
    assert choose.status_code == 200 and "Portland" in page and "****3064" in page

    back = _choose(client, session_id)
    assert back.status_code == 303
    assert back.headers["Location"].startswith("https://shop.example/review?")
    assert _session_arg(back.headers["Location"]) == session_id
    view = shop.view(session_id)
    assert view["buyer"]["name"] == "Jane Doe"
    assert view["shippingAddress"]["city"] == "Portland"
    assert view["paymentPreferences"] == [{"paymentDescriptor": "Visa ****1111"}]
    assert view["constraints"] == []

    redirect_url = view["webCheckoutDetails"]["amazonPayRedirectUrl"]
    done = client.get(_path(redirect_url))
    assert done.status_code == 303
    assert done.headers["Location"].startswith("https://shop.example/result?")
    assert _session_arg(done.headers["Location"]) == session_id
    completed = shop.complete(session_id)
    assert completed["statusDetails"]["state"] == "Completed"
    assert completed["chargeId"] is not None

    again = client.get(_path(redirect_url))
    assert again.status_code == 409 and "Completed" in again.get_data(as_text=True)


def test_another_buyer_and_a_changed_choice(app: Any, shop: Shop) -> None:
    client = app.test_client()
    session_id = shop.session()
    choose = client.get(
        "/checkout/choose",
        query_string={
            "amazonCheckoutSessionId": session_id,
            "buyer": "other",
            "name": "Kim Lee",
            "email": "kim@example.com",
        },
    )
    assert choose.status_code == 200 and "Hello, Kim Lee" in choose.get_data(as_text=True)
    first = _choose(client, session_id, buyer="other", name="Kim Lee", email="kim@example.com")
    assert first.status_code == 303
    # The buyer follows the shop's "change" link back to the start and picks another card.
    again = _choose(client, session_id, card="0005")
    assert again.status_code == 303
    view = shop.view(session_id)
    assert view["buyer"]["name"] == "Jane Doe"
    assert view["paymentPreferences"] == [{"paymentDescriptor": "Visa ****0005"}]


@pytest.mark.parametrize(
    ("card", "state", "reason"),
    [("3064", "Canceled", "BuyerCanceled"), ("3434", "Canceled", "Declined")],
)
def test_a_failing_card_cancels_the_session_at_amazon_pay_redirect_url(
    app: Any, shop: Shop, card: str, state: str, reason: str
) -> None:
    client = app.test_client()
    session_id = shop.session()
    assert _choose(client, session_id, card=card).status_code == 303
    url = shop.view(session_id)["webCheckoutDetails"]["amazonPayRedirectUrl"]
    done = client.get(_path(url))
    assert done.status_code == 303 and done.headers["Location"].startswith("https://shop.example/")
    status = shop.view(session_id)["statusDetails"]
    assert (status["state"], status["reasonCode"]) == (state, reason)


def test_pending_cards_authorize_or_decline_thirty_seconds_after_completion(
    app: Any, shop: Shop
) -> None:
    client = app.test_client()
    outcomes = {}
    for card in ("0701", "4354"):
        session_id = shop.session(
            paymentDetails={
                "paymentIntent": "Authorize",
                "canHandlePendingAuthorization": True,
                "chargeAmount": price("100.00"),
            }
        )
        assert _choose(client, session_id, card=card).status_code == 303
        url = shop.view(session_id)["webCheckoutDetails"]["amazonPayRedirectUrl"]
        assert client.get(_path(url)).status_code == 303
        outcomes[card] = shop.complete(session_id)["chargeId"]
    for charge_id in outcomes.values():
        assert shop.notifications("CHARGE") == [] or all(
            n["object_id"] != charge_id for n in shop.notifications("CHARGE")
        )
    shop.due(31)
    by_charge = {n["object_id"]: (n["state"], n["reason"]) for n in shop.notifications("CHARGE")}
    assert by_charge[outcomes["0701"]] == ("Authorized", None)
    assert by_charge[outcomes["4354"]] == ("Declined", "HardDeclined")


def test_a_pending_card_on_a_session_that_cannot_wait_is_a_conflict(app: Any, shop: Shop) -> None:
    client = app.test_client()
    session_id = shop.session()  # Authorize without canHandlePendingAuthorization
    assert _choose(client, session_id, card="0701").status_code == 303
    url = shop.view(session_id)["webCheckoutDetails"]["amazonPayRedirectUrl"]
    refused = client.get(_path(url))
    assert refused.status_code == 409 and "canHandlePendingAuthorization" in refused.get_data(
        as_text=True
    )


def test_bad_input_is_an_html_page_with_its_status(app: Any, shop: Shop) -> None:
    client = app.test_client()
    session_id = shop.session()

    def page(response: Any, status: int, text: str) -> None:
        body = response.get_data(as_text=True)
        assert (response.status_code, response.mimetype) == (status, PAGE), body
        assert text in body, body

    page(client.get("/checkout/signin"), 400, "amazonCheckoutSessionId is missing")
    page(
        client.get("/checkout/signin", query_string={"amazonCheckoutSessionId": "nope"}),
        404,
        "no checkout session",
    )
    page(
        client.get("/checkout/signin", query_string={"amazonCheckoutSessionId": "x" * 500}),
        404,
        "no checkout session",
    )
    page(
        client.get("/checkout/choose", query_string={"amazonCheckoutSessionId": session_id}),
        400,
        "Choose a sandbox buyer",
    )
    page(
        client.get(
            "/checkout/choose",
            query_string={"amazonCheckoutSessionId": session_id, "buyer": "other", "name": "X"},
        ),
        400,
        "needs a name and an email",
    )
    page(_choose(client, session_id, card="1234"), 400, "not a sandbox card")
    page(_choose(client, session_id, country_code="USA"), 400, "country_code")
    page(client.get("/checkout/nowhere"), 404, "cannot go on")
    page(client.post("/checkout/processing"), 405, "cannot go on")
    # Not through the pages yet: amazonPayRedirectUrl is not set, the step is refused.
    page(
        client.get("/checkout/processing", query_string={"amazonCheckoutSessionId": session_id}),
        409,
        "BuyerNotAssociated",
    )
    assert shop.view(session_id)["buyer"] is None

    shop.due(24 * 3600 + 1)
    page(
        client.get("/checkout/signin", query_string={"amazonCheckoutSessionId": session_id}),
        410,
        "expired",
    )
    page(_choose(client, session_id), 410, "expired")
