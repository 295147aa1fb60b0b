"""Screenshots of the dashboard for docs/dashboard.md: the order list and an order page, at a
laptop size and a phone size, taken in headless Chromium from a fresh ``gateway serve``.

    python -m bench.screenshots            # writes docs/images/dashboard-*.png

The orders are made through the sandbox API and the signed API (the official SDK), so the
pages show what a real flow leaves: a captured order refunded in part, one canceled, others
Open or Draft.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from tests.admin.test_e2e import captured_order
from tests.support.browser import chromium
from tests.support.servers import GatewayServer

IMAGES = Path(__file__).resolve().parents[1] / "docs" / "images"
SIZES = {"laptop": (1366, 900), "phone": (390, 844)}
ITEMS = [
    {"sku": "MUG-BLUE", "title": "Blue mug", "quantity": 2, "unit_price": "15.00"},
    {"sku": "TEE-L", "title": "T-shirt, large", "quantity": 1, "unit_price": "20.00"},
]


def _orders(server: GatewayServer) -> tuple[str, str]:
    merchant = server.new_merchant()
    seller = merchant["seller_id"]
    client = server.sdk(merchant)
    for amount in ("12.00", "35.50"):
        server.new_order(seller, amount=amount)
    captured_order(server, merchant, client, amount="80.00")
    canceled = captured_order(server, merchant, client, amount="25.00")
    server.sandbox("POST", f"/merchants/{seller}/orders/{canceled['order']}/cancel", status=200)
    shown = captured_order(server, merchant, client, line_items=ITEMS)
    server.sandbox(
        "POST",
        f"/merchants/{seller}/orders/{shown['order']}/refunds",
        status=201,
        amount="20.00",
    )
    server.advance_clock(seller, 600)
    server.sandbox(
        "POST",
        f"/merchants/{seller}/orders/{shown['order']}/refunds",
        status=201,
        amount="5.00",
        seller_note=f"goodwill {uuid.uuid4().hex[:6]}",
    )
    return seller, shown["order"]


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        server = GatewayServer(Path(scratch) / "data", workers=None).start()
        try:
            seller, order_id = _orders(server)
            pages = {
                "orders": f"{server.url}/sandbox/merchants/{seller}/orders",
                "order": f"{server.url}/sandbox/merchants/{seller}/orders/{order_id}",
            }
            for size, (width, height) in SIZES.items():
                with chromium(width, height) as driver:
                    for name, url in pages.items():
                        driver.get(url)
                        target = IMAGES / f"dashboard-{name}-{size}.png"
                        driver.save_screenshot(str(target))
                        print(target.relative_to(IMAGES.parents[1]))
        finally:
            server.kill()


if __name__ == "__main__":
    main()
