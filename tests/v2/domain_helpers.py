"""In-process API v2 domain calls as one merchant, each in its own transaction (no HTTP)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy import select

from gateway.domain.lifecycle import Context
from gateway.runtime import Runtime
from gateway.store import merchants
from gateway.store.models import Notification
from gateway.v2 import buyer_journey, checkout_sessions, views
from gateway.worker.jobs import run_due_work

T = TypeVar("T")

BUYER = {"name": "Test Buyer", "email": "buyer@example.com", "phone": "800-000-0000"}
DESTINATION = {
    "name": "Test Buyer",
    "address_line1": "1 Main St",
    "city": "Seattle",
    "state_or_region": "WA",
    "postal_code": "98101",
    "country_code": "US",
}


def price(amount: str, currency: str = "USD") -> dict[str, str]:
    return {"amount": amount, "currencyCode": currency}


class Shop:
    """A merchant's v2 calls through the domain functions, as the handlers make them."""

    def __init__(self, runtime: Runtime, seller_id: str) -> None:
        self.runtime = runtime
        self.seller_id = seller_id

    def run(self, work: Callable[[Context], T], *, live: bool = False) -> T:
        def unit(session: Any) -> T:
            merchant = merchants.by_seller_id(session, self.seller_id)
            assert merchant is not None
            return work(self.runtime.context(session, merchant, live=live))

        return self.runtime.db.run(unit)

    def session(self, **overrides: Any) -> str:
        """A new checkout session (Authorize 100.00 USD unless overridden); its id."""
        body: dict[str, Any] = {
            "storeId": "amzn1.application-oa2-client.test",
            "webCheckoutDetails": {
                "checkoutReviewReturnUrl": "https://shop.example/review",
                "checkoutResultReturnUrl": "https://shop.example/result",
            },
            "paymentDetails": {"paymentIntent": "Authorize", "chargeAmount": price("100.00")},
            **overrides,
        }
        return self.run(lambda ctx: checkout_sessions.create_session(ctx, body).amazon_id)

    def view(self, session_id: str) -> dict[str, Any]:
        return self.run(
            lambda ctx: views.checkout_session_json(
                checkout_sessions.get_session(ctx, session_id), "http://sim"
            )
        )

    def buyer(self, session_id: str, card: str = "1111") -> str:
        """The buyer's part up to the result URL (sign in, choose, amazonPayRedirectUrl)."""
        self.run(
            lambda ctx: buyer_journey.sign_in(
                ctx, session_id, buyer=BUYER, destination=DESTINATION, card=card
            )
        )
        return self.run(lambda ctx: buyer_journey.process(ctx, session_id))

    def complete(
        self, session_id: str, amount: str = "100.00", code: str | None = None
    ) -> dict[str, Any]:
        body = {"chargeAmount": price(amount)}
        return self.run(
            lambda ctx: views.checkout_session_json(
                checkout_sessions.complete_session(ctx, session_id, body, code), "http://sim"
            )
        )

    def checkout(self, card: str = "1111", **overrides: Any) -> dict[str, Any]:
        """A completed checkout session's view."""
        session_id = self.session(**overrides)
        self.buyer(session_id, card)
        amount = overrides.get("paymentDetails", {}).get("chargeAmount", price("100.00"))
        return self.complete(session_id, amount["amount"])

    def due(self, seconds: float) -> None:
        """Move the (frozen base) clock on and apply what became due."""
        self.runtime.clock.advance(seconds)  # type: ignore[attr-defined]
        run_due_work(self.runtime)

    def notifications(self, notification_type: str) -> list[Mapping[str, Any]]:
        def read(ctx: Context) -> list[Mapping[str, Any]]:
            rows = ctx.session.scalars(
                select(Notification)
                .where(Notification.merchant_id == ctx.merchant.id)
                .where(Notification.notification_type == notification_type)
                .order_by(Notification.id)
            )
            return [
                {"object_id": r.object_id, "state": r.state, "reason": r.reason_code, **r.extra}
                for r in rows
            ]

        return self.run(read)
