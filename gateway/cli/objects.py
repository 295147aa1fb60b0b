"""``gateway merchants|orders|refunds|disputes``: a merchant's objects through the control API."""

from __future__ import annotations

from typing import Any

import click

from gateway.cli.http import ControlApi
from gateway.cli.options import client_command, merchant_option, paged
from gateway.cli.output import fields, show, show_list, show_object, table

MERCHANT_FIELDS = ["seller_id", "name", "store_name", "access_key", "secret_key", "ipn_url"]
MERCHANT_FIELDS += ["settle_delay_seconds", "ipn_signature_version", "throttling"]
MERCHANT_FIELDS += ["clock.offset_seconds"]
MERCHANT_FIELDS += ["endpoints.offamazon_payments", "endpoints.fps"]
ORDER_COLUMNS = ["amazon_order_reference_id", "state", "amount", "currency_code"]
ORDER_COLUMNS += ["captured_amount", "refunded_amount", "created_at"]
REFUND_COLUMNS = ["amazon_id", "amazon_order_reference_id", "state", "reason_code", "amount"]
REFUND_COLUMNS += ["currency_code", "created_at"]
DISPUTE_COLUMNS = ["dispute_id", "type", "state", "amazon_order_reference_id", "amount"]
DISPUTE_COLUMNS += ["currency_code", "created_at"]


@click.group()
def merchants() -> None:
    """Merchants: make one, list them, show one's credentials and settings."""


@merchants.command("create")
@client_command
@click.option("--name", help="The merchant's name.")
@click.option("--store-name", help="Its store's name.")
@click.option("--ipn-url", help="Where its notifications (IPNs) are posted.")
@click.option("--settle-delay", "settle_delay_seconds", type=float, help="Seconds to settle.")
@click.option("--seller-id", help="A fixed seller id (default: generated).")
def merchants_create(api: ControlApi, as_json: bool, **settings: Any) -> None:
    """Make a merchant (its keys are generated)."""
    body = {k: v for k, v in settings.items() if v is not None}
    show_object(api.call("POST", "/merchants", body=body), as_json, MERCHANT_FIELDS)


@merchants.command("list")
@client_command
@paged
@click.option("-q", "search", help="Part of the seller id, name or store name.")
def merchants_list(
    api: ControlApi, as_json: bool, limit: int, cursor: str | None, search: str | None
) -> None:
    """List merchants, newest first."""
    params = {"limit": limit, "cursor": cursor, "q": search}
    answer = api.call("GET", "/merchants", params=params)
    show_list(answer, as_json, ["seller_id", "name", "store_name", "access_key", "ipn_url"])


@merchants.command("show")
@client_command
@click.argument("seller_id")
def merchants_show(api: ControlApi, as_json: bool, seller_id: str) -> None:
    """Show a merchant: credentials, endpoints and settings."""
    show_object(api.call("GET", f"/merchants/{seller_id}"), as_json, MERCHANT_FIELDS)


@merchants.command("throttling")
@client_command
@click.argument("seller_id")
@click.argument("mode", required=False, type=click.Choice(["off", "sandbox", "production"]))
def merchants_throttling(api: ControlApi, as_json: bool, seller_id: str, mode: str | None) -> None:
    """Throttle a merchant's requests by Amazon's sandbox or production quotas, or stop (off);
    without MODE, show the mode and what is left of each quota."""
    path = f"/merchants/{seller_id}/throttling"
    answer = api.call("PUT", path, body={"mode": mode}) if mode else api.call("GET", path)
    rows = [
        {"service": service, "operation": operation, **quota}
        for service, operations in answer["services"].items()
        for operation, quota in operations.items()
    ]
    render = f"mode: {answer['mode']}"
    if rows:
        render += "\n" + table(
            rows, ["service", "operation", "burst", "restore_seconds", "available"]
        )
    show(answer, as_json, render)


@click.group()
def orders() -> None:
    """A merchant's orders (order references): list, show, cancel, delete."""


@orders.command("list")
@client_command
@merchant_option
@paged
@click.option("--state", multiple=True, help="Draft, Open, Suspended, Canceled, Closed.")
@click.option("-q", "search", help="An Amazon id of the order or its objects, or seller order id.")
def orders_list(
    api: ControlApi,
    as_json: bool,
    seller_id: str,
    limit: int,
    cursor: str | None,
    state: tuple[str, ...],
    search: str | None,
) -> None:
    """List a merchant's orders, newest first."""
    params = {"limit": limit, "cursor": cursor, "state": list(state), "q": search}
    answer = api.call("GET", f"/merchants/{seller_id}/orders", params=params)
    show_list(answer, as_json, ORDER_COLUMNS)


@orders.command("show")
@client_command
@merchant_option
@click.argument("order_id")
def orders_show(api: ControlApi, as_json: bool, seller_id: str, order_id: str) -> None:
    """Show an order: payment status, amounts, line items and payments."""
    order = api.call("GET", f"/merchants/{seller_id}/orders/{order_id}")
    if as_json:
        show_object(order, True, [])
        return
    names = ["amazon_order_reference_id", "state", "payment_status", "amount", "currency_code"]
    names += ["captured_amount", "refunded_amount", "refundable.amount", "refundable.maximum"]
    names += ["administration.owed_amount", "created_at"]
    lines = [fields(order, names)]
    for authorization in order["authorizations"]:
        lines.append(payment_line("authorization", authorization, "amazon_authorization_id"))
        for capture in authorization["captures"]:
            lines.append("  " + payment_line("capture", capture, "amazon_capture_id"))
            for refund in capture["refunds"]:
                lines.append("    " + payment_line("refund", refund, "amazon_refund_id"))
    for item in order["line_items"]:
        lines.append(f"item {item['sku']} x{item['quantity']} at {item['unit_price']}")
    click.echo("\n".join(lines))


def payment_line(kind: str, payment: dict[str, Any], id_field: str) -> str:
    reason = f"/{payment['reason_code']}" if payment.get("reason_code") else ""
    return f"{kind} {payment.get(id_field, '-')} {payment['state']}{reason} {payment['amount']}"


@orders.command("cancel")
@client_command
@merchant_option
@click.argument("order_id")
@click.option("--amount", help="Cancel this much of the order (default: all of it).")
@click.option("--item", "items", multiple=True, help="Cancel a line item: SKU or SKU:QUANTITY.")
@click.option("--reason", help="The reason given.")
def orders_cancel(
    api: ControlApi,
    as_json: bool,
    seller_id: str,
    order_id: str,
    amount: str | None,
    items: tuple[str, ...],
    reason: str | None,
) -> None:
    """Cancel an order in whole, or in part (--amount or --item)."""
    body: dict[str, Any] = {"reason": reason} if reason else {}
    if amount:
        body["amount"] = amount
    if items:
        body["line_items"] = [line_item(text) for text in items]
    answer = api.call("POST", f"/merchants/{seller_id}/orders/{order_id}/cancel", body=body)
    names = ["amazon_order_reference_id", "canceled_amount", "payment_status"]
    show_object(answer, as_json, [n for n in names if n in answer] or list(answer)[:6])


def line_item(text: str) -> dict[str, Any]:
    sku, _, quantity = text.partition(":")
    if not quantity:
        return {"sku": sku}
    if not quantity.isdigit():
        raise click.BadParameter(f"{text!r}: the quantity after ':' is a whole number")
    return {"sku": sku, "quantity": int(quantity)}


@orders.command("delete")
@client_command
@merchant_option
@click.argument("order_id")
def orders_delete(api: ControlApi, as_json: bool, seller_id: str, order_id: str) -> None:
    """Delete an order entirely (its money is refunded first)."""
    answer = api.call("DELETE", f"/merchants/{seller_id}/orders/{order_id}")
    show_object(answer, as_json, [n for n in ("state", "waiting_for") if n in answer])


@click.group()
def refunds() -> None:
    """Refunds: make one on an order, list a merchant's."""


@refunds.command("create")
@client_command
@merchant_option
@click.argument("order_id")
@click.option("--amount", required=True, help="How much (up to Amazon's cap above the price).")
@click.option("--capture", "amazon_capture_id", help="Refund this capture (default: spread).")
@click.option("--note", "seller_note", help="The seller's note.")
def refunds_create(
    api: ControlApi, as_json: bool, seller_id: str, order_id: str, **given: Any
) -> None:
    """Refund part or all of an order's captured money (Pending until it settles)."""
    body = {k: v for k, v in given.items() if v is not None}
    answer = api.call("POST", f"/merchants/{seller_id}/orders/{order_id}/refunds", body=body)
    if as_json:
        show_object(answer, True, [])
        return
    for refund in answer["refunds"]:
        status = refund["RefundStatus"]
        amount = refund["RefundAmount"]
        click.echo(
            f"{refund['AmazonRefundId']}  {status['State']}  "
            f"{amount['Amount']} {amount['CurrencyCode']}"
        )


@refunds.command("list")
@client_command
@merchant_option
@paged
@click.option("--order", "amazon_order_reference_id", help="Only this order's.")
@click.option("--state", multiple=True, help="Pending, Completed, Declined.")
def refunds_list(
    api: ControlApi,
    as_json: bool,
    seller_id: str,
    limit: int,
    cursor: str | None,
    amazon_order_reference_id: str | None,
    state: tuple[str, ...],
) -> None:
    """List a merchant's refunds, newest first."""
    params = {"limit": limit, "cursor": cursor, "state": list(state)}
    params["amazon_order_reference_id"] = amazon_order_reference_id
    answer = api.call("GET", f"/merchants/{seller_id}/refunds", params=params)
    show_list(answer, as_json, REFUND_COLUMNS)


@click.group()
def disputes() -> None:
    """A-to-z guarantee claims and chargebacks: file, list, resolve."""


@disputes.command("file")
@client_command
@merchant_option
@click.argument("order_id")
@click.option(
    "--type",
    "dispute_type",
    type=click.Choice(["a-to-z-claim", "chargeback"]),
    default="a-to-z-claim",
    show_default=True,
)
@click.option("--amount", help="Default: the most it may be.")
@click.option("--reason", help="The buyer's reason.")
@click.option(
    "--v2",
    "api_v2",
    is_flag=True,
    help="ORDER_ID is an API v2 charge (S01-…-C…) or charge permission (its last charge).",
)
def disputes_file(
    api: ControlApi,
    as_json: bool,
    seller_id: str,
    order_id: str,
    dispute_type: str,
    amount: str | None,
    reason: str | None,
    api_v2: bool,
) -> None:
    """File a dispute against an order's (or an API v2 charge's) capture."""
    target = "amazon_order_reference_id"
    if api_v2:
        # A charge's id is its charge permission's with a suffix (S01-5105180-3221187-C056351).
        target = "charge_id" if order_id.count("-") >= 3 else "charge_permission_id"
    body = {"type": dispute_type, target: order_id}
    body |= {k: v for k, v in (("amount", amount), ("reason", reason)) if v}
    answer = api.call("POST", f"/merchants/{seller_id}/disputes", body=body)
    columns = DISPUTE_COLUMNS
    if api_v2:
        columns = [c if c != "amazon_order_reference_id" else "charge_id" for c in columns]
    show_object(answer, as_json, columns)


@disputes.command("list")
@client_command
@merchant_option
@paged
@click.option("--state", multiple=True, help="Open, Granted, Denied.")
def disputes_list(
    api: ControlApi,
    as_json: bool,
    seller_id: str,
    limit: int,
    cursor: str | None,
    state: tuple[str, ...],
) -> None:
    """List a merchant's disputes, newest first."""
    params = {"limit": limit, "cursor": cursor, "state": list(state)}
    answer = api.call("GET", f"/merchants/{seller_id}/disputes", params=params)
    show_list(answer, as_json, DISPUTE_COLUMNS)


@disputes.command("resolve")
@client_command
@merchant_option
@click.argument("dispute_id")
@click.argument("outcome", type=click.Choice(["granted", "denied"]))
def disputes_resolve(
    api: ControlApi, as_json: bool, seller_id: str, dispute_id: str, outcome: str
) -> None:
    """Resolve a dispute: granted (the buyer is refunded) or denied."""
    path = f"/merchants/{seller_id}/disputes/{dispute_id}/resolve"
    answer = api.call("POST", path, body={"outcome": outcome})
    show_object(answer, as_json, DISPUTE_COLUMNS)


COMMANDS = [merchants, orders, refunds, disputes]
