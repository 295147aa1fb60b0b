"""The dashboard in real headless Chromium against a live ``gateway serve`` (with its
scheduler, so IPNs are delivered to a receiver): refund in part, see it Pending, advance the
clock, see it Completed with its notification delivered; cancel in part and in whole with
automatic refunds; delete an order and see its id answer InvalidOrderReferenceId through the
official SDK; file an A-to-z claim and see the next refund decline ProcessingFailure.

One browser for the module. Page changes are awaited with a deadline (htmx swaps pages in
place, so there is no page load to wait for); the server's clock is moved, nothing sleeps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.admin.test_e2e import answer, captured_order, error
from tests.support import browser
from tests.support.servers import CONTROL, GatewayServer
from tests.support.sink import Sink

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.sdk,
    pytest.mark.browser,
    pytest.mark.skipif(not browser.available(), reason="needs chromium and chromium-driver"),
]

DEADLINE = 15.0


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with browser.chromium() as driver:
        yield driver


def until(driver: Any, condition: Callable[[Any], Any]) -> Any:
    """``condition`` once it holds (elements replaced by a swap meanwhile are looked up again)."""
    wait = WebDriverWait(
        driver, DEADLINE, poll_frequency=0.05, ignored_exceptions=(StaleElementReferenceException,)
    )
    return wait.until(condition)


def page_text(driver: Any) -> str:
    text: str = driver.find_element(By.TAG_NAME, "main").text
    return text


def wait_for_text(driver: Any, text: str) -> str:
    until(driver, lambda d: text in page_text(d))
    return page_text(driver)


def act(driver: Any, form_action: str, **fields: str) -> str:
    """Fill the order page's form for ``form_action``, submit it, confirm; the result page."""
    form = driver.find_element(By.CSS_SELECTOR, f'form[action$="/{form_action}"]')
    for name, value in fields.items():
        box = form.find_element(By.NAME, name)
        if box.tag_name == "select":
            box.find_element(By.CSS_SELECTOR, f'option[value="{value}"]').click()
        else:
            box.clear()
            box.send_keys(value)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    until(driver, lambda d: d.find_elements(By.ID, "confirm"))
    driver.find_element(By.ID, "confirm").click()
    until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "main .flash"))
    return page_text(driver)


def open_order(driver: Any, server: GatewayServer, seller: str, order_id: str) -> str:
    driver.get(f"{server.url}/sandbox/merchants/{seller}/orders/{order_id}")
    return wait_for_text(driver, order_id)


def wait_delivered(server: GatewayServer, seller: str, object_id: str, state: str) -> None:
    params: dict[str, str] = {
        "object_id": object_id,
        "state": state,
        "acknowledged": "true",
        "timeout": "20",
    }
    waited = requests.get(
        f"{server.url}{CONTROL}/merchants/{seller}/wait",
        params=params,
        timeout=30,
    )
    assert waited.status_code == 200, waited.text


def test_refund_in_part_then_completed_with_its_notification(
    live_server_with_scheduler: GatewayServer, chromium
):
    server = live_server_with_scheduler
    with Sink() as receiver:
        merchant = server.new_merchant(ipn_url=receiver.url)
        seller = merchant["seller_id"]
        ids = captured_order(server, merchant, server.sdk(merchant), amount="80.00")
        chromium.get(server.url + "/")
        until(chromium, lambda d: d.current_url.endswith("/sandbox/"))
        chromium.find_element(By.LINK_TEXT, f"Orders of {seller}").click()
        wait_for_text(chromium, ids["order"])
        assert "Captured" in page_text(chromium)
        chromium.find_element(By.LINK_TEXT, ids["order"]).click()
        wait_for_text(chromium, "Refundable")
        result = act(chromium, "refund", amount="25.00")
        assert "Refund" in result and "Pending" in result
        row = chromium.find_element(By.CSS_SELECTOR, "tr.refund")
        assert "Pending" in row.text and "25.00" in row.text
        refund_id = row.find_elements(By.TAG_NAME, "td")[1].text
        result = act(chromium, "clock", seconds="600")
        assert "Clock now" in result
        wait_delivered(server, seller, refund_id, "Completed")
        text = open_order(chromium, server, seller, ids["order"])
        assert "Completed" in chromium.find_element(By.CSS_SELECTOR, "tr.refund").text
        assert "PartiallyRefunded" in text
        timeline = chromium.find_element(By.CSS_SELECTOR, "ol.timeline").text
        line = next(li for li in timeline.splitlines() if refund_id in li and "Completed" in li)
        assert "delivered" in line
        assert any(refund_id.encode() in body for body in receiver.bodies())


def test_cancel_in_part_and_in_whole_refunds_automatically(live_server: GatewayServer, chromium):
    merchant = live_server.new_merchant()
    seller = merchant["seller_id"]
    ids = captured_order(live_server, merchant, live_server.sdk(merchant), amount="50.00")
    open_order(chromium, live_server, seller, ids["order"])
    assert "Canceled in part: 10.00 USD; 1 refund(s) made" in act(
        chromium, "cancel", amount="10.00"
    )
    assert "Canceled whole: 40.00 USD; 1 refund(s) made" in act(chromium, "cancel")
    assert chromium.find_element(By.ID, "payment-status").text == "Canceled"
    refunds = chromium.find_elements(By.CSS_SELECTOR, "tr.refund")
    assert sorted(r.find_elements(By.TAG_NAME, "td")[4].text for r in refunds) == [
        "10.00",
        "40.00",
    ]


def test_delete_then_the_sdk_answers_invalid_order_reference_id(
    live_server: GatewayServer, chromium
):
    merchant = live_server.new_merchant()
    seller = merchant["seller_id"]
    client = live_server.sdk(merchant)
    order_id = live_server.new_order(seller, amount="30.00")
    assert client.get_order_reference_details(amazon_order_reference_id=order_id).success
    open_order(chromium, live_server, seller, order_id)
    assert "Deleted" in act(chromium, "delete")
    code, _message = error(client.get_order_reference_details(amazon_order_reference_id=order_id))
    assert code == "InvalidOrderReferenceId"


def test_an_a_to_z_claim_makes_the_next_refund_decline(live_server: GatewayServer, chromium):
    merchant = live_server.new_merchant()
    seller = merchant["seller_id"]
    client = live_server.sdk(merchant)
    ids = captured_order(live_server, merchant, client, amount="60.00")
    open_order(chromium, live_server, seller, ids["order"])
    assert "filed" in act(chromium, "dispute", type="a-to-z-claim")
    assert "Pending" in act(chromium, "refund", amount="5.00")
    refund_id = chromium.find_element(By.CSS_SELECTOR, "tr.refund td:nth-child(2)").text
    act(chromium, "clock", seconds="600")
    open_order(chromium, live_server, seller, ids["order"])
    row = chromium.find_element(By.CSS_SELECTOR, "tr.refund").text
    assert "Declined" in row and "ProcessingFailure" in row
    refund = answer(client.get_refund_details(amazon_refund_id=refund_id), "Refund")
    assert refund["RefundStatus"]["State"] == "Declined"
    assert refund["RefundStatus"]["ReasonCode"] == "ProcessingFailure"
