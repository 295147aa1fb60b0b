"""API v2 prices: ``{"amount": "10.00", "currencyCode": "USD"}`` to minor units and back.

The shared money code (``gateway.domain.money``) parses and formats; this only reads Amazon's
price object. Amounts are strings with the currency's decimals [SRC: reference/amazon-pay-v2.md
§2]. No Flask here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.domain.money import format_amount, parse_amount
from gateway.v2.errors import CurrencyMismatch, InvalidParameterValue, TransactionAmountExceeded


def parse_price(value: Mapping[str, Any], field: str) -> tuple[int, str]:
    """(minor units, currency) of a price object; a bad amount or currency answers
    InvalidParameterValue naming ``field``, one over the per-charge maximum (150,000; 10,000,000
    JPY) TransactionAmountExceeded."""
    amount, currency = value.get("amount"), value.get("currencyCode")
    if not isinstance(amount, str) or not isinstance(currency, str):
        raise InvalidParameterValue(f"{field} needs amount and currencyCode, as strings.")
    minor = parse_amount(amount, currency, f"{field}.amount", too_large=TransactionAmountExceeded)
    return minor, currency


def price(minor: int, currency: str) -> dict[str, str]:
    return {"amount": format_amount(minor, currency), "currencyCode": currency}


def check_currency(currency: str, expected: str, field: str, of: str) -> None:
    if currency != expected:
        raise CurrencyMismatch(
            f"{field}.currencyCode {currency} does not match {expected} of {of}."
        )
