"""The line items of a buyer's order: what the cart held. No Flask here.

Amazon's order reference has none; the sandbox keeps them beside it (``LineItem``) so that an
order can be canceled in part by its items (``gateway.domain.administration``).
"""

from __future__ import annotations

from typing import Any

from gateway.domain.lifecycle import Context
from gateway.domain.money import parse_amount
from gateway.errors import InvalidParameterValue
from gateway.store.models import LineItem, OrderReference

#: Most line items an order may carry.
MAX_LINE_ITEMS = 100


def add_line_items(
    ctx: Context, oro: OrderReference, items: list[dict[str, Any]], currency: str
) -> list[LineItem]:
    """Give a new order reference its line items (``sku``, ``title``, ``quantity``,
    ``unit_price`` as a wire amount in ``currency``), as the buyer's cart held them."""
    if len(items) > MAX_LINE_ITEMS:
        raise InvalidParameterValue(f"An order has at most {MAX_LINE_ITEMS} line items.")
    made = []
    for position, item in enumerate(items, start=1):
        if int(item["quantity"]) < 1:
            raise InvalidParameterValue(f"line_items[{position - 1}].quantity must be at least 1.")
        line = LineItem(
            merchant_id=ctx.merchant.id,
            order_reference_id=oro.id,
            position=position,
            sku=item["sku"],
            title=item.get("title") or "",
            quantity=int(item["quantity"]),
            canceled_quantity=0,
            currency=currency,
            unit_price_minor=parse_amount(
                item["unit_price"], currency, f"line_items[{position - 1}].unit_price"
            ),
        )
        ctx.session.add(line)
        made.append(line)
    return made


def total_minor(items: list[dict[str, Any]], currency: str) -> int:
    """What line items given as wire values add up to, in minor units of ``currency``."""
    return sum(
        int(i["quantity"]) * parse_amount(i["unit_price"], currency, f"line_items[{n}].unit_price")
        for n, i in enumerate(items)
    )
