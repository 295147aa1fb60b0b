"""The hosted buyer pages in real headless Chromium against a live ``gateway serve``.

A shop (the Python v2 client, plus a tiny WSGI app for its return pages) creates a checkout
session; the browser goes to the sign-in page, picks a sandbox buyer, an address and a sandbox
card, lands on the shop's review page with ``amazonCheckoutSessionId``; the shop sets the
result URL and follows ``amazonPayRedirectUrl`` in the browser to its result page, then
completes the session. One browser for the module, one checkout per sandbox card; the pending
cards settle when the merchant's clock is moved, nothing sleeps.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from clients.amazon_pay_v2.client import AmazonPayV2Client
from clients.errors import AmazonPayV2Error
from tests.support import browser
from tests.support.servers import GatewayServer, serving

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.skipif(not browser.available(), reason="needs chromium and chromium-driver"),
]

DEADLINE = 15.0


def _shop_pages(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """The merchant's return pages: they show the page's name and the session id they got."""
    query = parse_qs(environ.get("QUERY_STRING", ""))
    session_id = html.escape(query.get("amazonCheckoutSessionId", [""])[0])
    page = environ.get("PATH_INFO", "").strip("/")
    body = f'<main><h1 id="page">{page}</h1><p id="session">{session_id}</p></main>'
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    return [body.encode()]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with browser.chromium() as driver:
        yield driver


@pytest.fixture(scope="module")
def shop_url() -> Iterator[str]:
    with serving(_shop_pages) as url:
        yield url


@pytest.fixture(scope="module")
def shop(live_server: GatewayServer) -> Iterator[tuple[AmazonPayV2Client, str]]:
    merchant = live_server.new_merchant()
    seller = merchant["seller_id"]
    key = live_server.sandbox("POST", f"/merchants/{seller}/v2-keys", status=201)
    with AmazonPayV2Client(
        key["public_key_id"], key["private_key_pem"], endpoint=live_server.url
    ) as client:
        yield client, seller


def _landed(driver: Any, page: str) -> str:
    """The shop page ``page`` once the browser is on it; the session id it was given."""
    WebDriverWait(driver, DEADLINE, poll_frequency=0.05).until(
        lambda d: d.find_elements(By.ID, "page") and d.find_element(By.ID, "page").text == page
    )
    text: str = driver.find_element(By.ID, "session").text
    return text


def _buyer_part(driver: Any, server: GatewayServer, session_id: str, card: str) -> None:
    """On Amazon's (the simulator's) pages: sign in, choose, continue back to the shop."""
    driver.get(f"{server.url}/checkout/signin?amazonCheckoutSessionId={session_id}")
    assert "Mug Shop" in driver.find_element(By.TAG_NAME, "main").text
    driver.find_element(By.CSS_SELECTOR, 'input[name=buyer][value="jane-doe"]').click()
    driver.find_element(By.ID, "continue").click()
    WebDriverWait(driver, DEADLINE, poll_frequency=0.05).until(
        lambda d: d.find_elements(By.ID, "choose")
    )
    assert driver.find_element(By.NAME, "city").get_attribute("value") == "Portland"
    driver.find_element(By.CSS_SELECTOR, f'input[name=card][value="{card}"]').click()
    driver.find_element(By.ID, "continue").click()


@pytest.mark.parametrize(
    ("card", "outcome"),
    [
        ("1111", ("Completed", "Authorized", None)),
        ("3064", ("Canceled", None, "BuyerCanceled")),
        ("3434", ("Canceled", None, "Declined")),
        ("0701", ("Completed", "Authorized", None)),
        ("4354", ("Completed", "Declined", "HardDeclined")),
    ],
)
def test_the_buyer_clicks_through_the_hosted_pages(
    live_server: GatewayServer,
    chromium: Any,
    shop: tuple[AmazonPayV2Client, str],
    shop_url: str,
    card: str,
    outcome: tuple[str, str | None, str | None],
) -> None:
    client, seller = shop
    session = client.create_checkout_session(
        {
            "storeId": "amzn1.application-oa2-client.shop",
            "webCheckoutDetails": {"checkoutReviewReturnUrl": f"{shop_url}/review"},
            "merchantMetadata": {"merchantStoreName": "Mug Shop"},
        }
    )
    session_id = session["checkoutSessionId"]
    _buyer_part(chromium, live_server, session_id, card)
    assert _landed(chromium, "review") == session_id

    # The shop reviews the order, sets the amount and result URL, and redirects the buyer.
    updated = client.update_checkout_session(
        session_id,
        {
            "webCheckoutDetails": {"checkoutResultReturnUrl": f"{shop_url}/result"},
            "paymentDetails": {
                "paymentIntent": "Authorize",
                "canHandlePendingAuthorization": True,
                "chargeAmount": {"amount": "24.50", "currencyCode": "USD"},
            },
        },
    )
    assert updated["buyer"] is not None and updated["buyer"]["name"] == "Jane Doe"
    assert updated["paymentPreferences"] == [{"paymentDescriptor": f"Visa ****{card}"}]
    chromium.get(updated["webCheckoutDetails"]["amazonPayRedirectUrl"])
    assert _landed(chromium, "result") == session_id

    state, charge_state, reason = outcome
    if state == "Canceled":
        got = client.get_checkout_session(session_id)["statusDetails"]
        assert (got["state"], got["reasonCode"]) == (state, reason)
        with pytest.raises(AmazonPayV2Error) as refused:
            client.complete_checkout_session(session_id, "24.50", "USD")
        assert refused.value.reason_code == "InvalidCheckoutSessionStatus"
        return
    completed = client.complete_checkout_session(session_id, "24.50", "USD")
    assert completed["statusDetails"]["state"] == "Completed"
    charge_id = completed["chargeId"]
    assert charge_id is not None
    if card in ("0701", "4354"):
        assert client.get_charge(charge_id)["statusDetails"]["state"] == ("AuthorizationInitiated")
        live_server.advance_clock(seller, 31)
    charge = client.get_charge(charge_id)["statusDetails"]
    assert (charge["state"], charge["reasonCode"]) == (charge_state, reason)
