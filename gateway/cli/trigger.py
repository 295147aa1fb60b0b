"""``gateway trigger EVENT``: make the objects one notification needs and have it sent, as the
Stripe CLI's ``trigger`` does.

Each event is played on a new order of the merchant, the way a store would: the buyer's order
reference from the control API, then the seller's signed Off-Amazon Payments calls (through
``clients.offamazon``, over HTTP like any SDK) with Amazon's sandbox simulation strings where
Amazon's sandbox has one (docs/simulations.md), and the control API for what only the sandbox
does (disputes, the clock). Nothing reaches the database but through the server.
"""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import click

from gateway.cli.http import ApiFailed, ControlApi
from gateway.cli.options import client_command, merchant_option, progress_shown

if TYPE_CHECKING:
    from clients.offamazon import OffAmazonPaymentsClient

AMOUNT = Decimal("10.00")
CURRENCY = "USD"


def simulation(**fields: str) -> str:
    return json.dumps({"SandboxSimulation": fields})


@dataclass
class Play:
    """One trigger's run: the merchant, its signed client and the ids made so far."""

    api: ControlApi
    seller_id: str
    seller: OffAmazonPaymentsClient
    settle_delay: float
    reason: str | None
    made: dict[str, str]

    def control(self, method: str, path: str, body: Any = None) -> Any:
        return self.api.call(method, f"/merchants/{self.seller_id}{path}", body=body)

    def reference(self) -> str:
        return f"trigger-{secrets.token_hex(6)}"

    def order(self) -> None:
        made = self.control("POST", "/order-references", {"amount": str(AMOUNT)})
        self.made["amazon_order_reference_id"] = made["amazon_order_reference_id"]

    def confirm(self) -> None:
        self.seller.confirm_order_reference(self.made["amazon_order_reference_id"])

    def authorize(self, note: str | None = None, capture_now: bool = False) -> None:
        details = self.seller.authorize(
            self.made["amazon_order_reference_id"],
            self.reference(),
            AMOUNT,
            CURRENCY,
            transaction_timeout=0,
            capture_now=capture_now,
            seller_authorization_note=note,
        )
        self.made["amazon_authorization_id"] = details.amazon_authorization_id
        if details.id_list:
            self.made["amazon_capture_id"] = details.id_list[0]

    def capture(self, note: str | None = None) -> None:
        details = self.seller.capture(
            self.made["amazon_authorization_id"],
            self.reference(),
            AMOUNT,
            CURRENCY,
            seller_capture_note=note,
        )
        self.made["amazon_capture_id"] = details.amazon_capture_id

    def refund(self, note: str | None = None) -> None:
        details = self.seller.refund(
            self.made["amazon_capture_id"], self.reference(), AMOUNT, CURRENCY,
            seller_refund_note=note,
        )  # fmt: skip
        self.made["amazon_refund_id"] = details.amazon_refund_id

    def settle(self) -> None:
        """Move the merchant's clock past the settle delay: the refund settles now."""
        self.control("POST", "/clock/advance", {"seconds": self.settle_delay + 1})

    def close(self) -> None:
        self.seller.close_order_reference(self.made["amazon_order_reference_id"])

    def cancel(self) -> None:
        self.seller.cancel_order_reference(self.made["amazon_order_reference_id"])

    def dispute(self, kind: str) -> None:
        body = {"type": kind, "amazon_capture_id": self.made["amazon_capture_id"]}
        self.made["dispute_id"] = self.control("POST", "/disputes", body)["dispute_id"]


Step = Callable[[Play], None]


def charged(*then: Step) -> list[Step]:
    """An order confirmed, authorized and captured at once, then ``then``."""
    return [Play.order, Play.confirm, lambda p: p.authorize(capture_now=True), *then]


def refund_declined(play: Play) -> None:
    if play.reason == "ProcessingFailure":  # no simulation string: a dispute makes it (docs)
        play.dispute("a-to-z-claim")
        play.refund()
    else:
        play.refund(simulation(State="Declined", ReasonCode=play.reason or "AmazonRejected"))


#: Event name → (what it sends, its steps).
EVENTS: dict[str, tuple[str, list[Step]]] = {
    "authorization.declined": (
        "PaymentAuthorize Declined (--reason InvalidPaymentMethod, AmazonRejected, "
        "TransactionTimedOut)",
        [
            Play.order,
            Play.confirm,
            lambda p: p.authorize(
                simulation(State="Declined", ReasonCode=p.reason or "InvalidPaymentMethod")
            ),
        ],
    ),
    "capture.completed": ("PaymentCapture Completed", charged()),
    "capture.declined": (
        "PaymentCapture Declined/AmazonRejected",
        [
            Play.order,
            Play.confirm,
            lambda p: p.authorize(),
            lambda p: p.capture(simulation(State="Declined", ReasonCode="AmazonRejected")),
        ],
    ),
    "refund.completed": ("PaymentRefund Completed", charged(lambda p: p.refund(), Play.settle)),
    "refund.declined": (
        "PaymentRefund Declined (--reason AmazonRejected or ProcessingFailure)",
        charged(refund_declined, Play.settle),
    ),
    "chargeback.filed": (
        "Chargeback Detailed Notification",
        charged(lambda p: p.dispute("chargeback")),
    ),
    "order.closed": (
        "OrderReferenceNotification Closed/SellerClosed",
        [
            Play.order,
            Play.confirm,
            Play.close,
        ],
    ),
    "order.canceled": (
        "OrderReferenceNotification Canceled/SellerCanceled",
        [
            Play.order,
            Play.confirm,
            Play.cancel,
        ],
    ),
}


def list_events(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        width = max(len(name) for name in EVENTS)
        click.echo("\n".join(f"{name:<{width}}  {what}" for name, (what, _) in EVENTS.items()))
        ctx.exit()


@click.command("trigger")
@click.option(
    "--list",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=list_events,
    help="List the events and exit.",
)
@client_command
@merchant_option
@click.argument("event", type=click.Choice(sorted(EVENTS)))
@click.option("--reason", help="The reason code of a decline (see --list).")
def trigger(api: ControlApi, as_json: bool, seller_id: str, event: str, reason: str | None) -> None:
    """Make the objects EVENT needs on a new order of the merchant and have its notification
    sent (to the merchant's IPN URL). `gateway trigger --list` names the events."""
    from clients.errors import ClientError
    from clients.offamazon import OffAmazonPaymentsClient

    merchant = api.call("GET", f"/merchants/{seller_id}")
    seller = OffAmazonPaymentsClient(
        merchant["endpoints"]["offamazon_payments"],
        merchant["access_key"],
        merchant["secret_key"],
        seller_id,
        timeout=api.timeout,
    )
    settle = float(merchant["settle_delay_seconds"])
    play = Play(api, seller_id, seller, settle, reason, {})
    steps = EVENTS[event][1]
    try:
        if progress_shown():
            bar: Any
            with click.progressbar(length=len(steps), label=event, file=sys.stderr) as bar:
                for step in steps:
                    step(play)
                    bar.update(1)
        else:
            for step in steps:
                step(play)
    except ClientError as exc:
        raise ApiFailed(f"{event}: {exc}") from None
    if as_json:
        click.echo(json.dumps({"event": event, "seller_id": seller_id, **play.made}, indent=2))
    else:
        click.echo(f"{event}: {EVENTS[event][0]}")
        click.echo("\n".join(f"  {name}: {value}" for name, value in play.made.items()))
