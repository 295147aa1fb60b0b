"""Money: Decimal amounts at the edges, integer minor units in storage. Never float.

Currency exponents and the refund over-cap of Amazon Pay [SRC: reference/amazon-wire.md §1.7 Limits:
refunds may exceed the captured amount by the lesser of 15 % or 75 USD/GBP/EUR; 8,400 JPY].
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from gateway.errors import CurrencyUnsupported, GatewayError, InvalidParameterValue

#: Currencies Amazon Pay settles in and the number of decimals of each.
CURRENCY_EXPONENTS: dict[str, int] = {
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "JPY": 0,
    "AUD": 2,
    "CHF": 2,
    "DKK": 2,
    "HKD": 2,
    "NOK": 2,
    "NZD": 2,
    "SEK": 2,
    "ZAR": 2,
}

#: The absolute part of the refund over-cap, in major units of the currency.
OVER_CAP_ABSOLUTE: dict[str, int] = {"JPY": 8400}
OVER_CAP_DEFAULT_ABSOLUTE = 75
OVER_CAP_PERCENT = 15

#: The largest amount one transaction may carry, in major units: 150,000 USD/GBP/EUR (reference
#: §1.7), 10,000,000 JPY (reference/amazon-pay-v2.md §3; developer.amazon.com/docs/
#: amazon-pay-api-v2/charge.html "Maximum value"). UNCONFIRMED for the other currencies: 150,000.
MAX_TRANSACTION_AMOUNT = Decimal(150_000)
MAX_TRANSACTION_AMOUNTS: dict[str, Decimal] = {"JPY": Decimal(10_000_000)}


def maximum_amount(currency: str) -> Decimal:
    """The largest amount one transaction may carry in ``currency``, in major units."""
    return MAX_TRANSACTION_AMOUNTS.get(currency, MAX_TRANSACTION_AMOUNT)


#: A wire amount: digits with an optional fraction (no sign, exponent, NaN or Infinity).
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def exponent(currency: str) -> int:
    """Decimals of ``currency``; CurrencyUnsupported for one Amazon Pay does not know."""
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise CurrencyUnsupported(f"The currency {currency!r} is not supported.") from None


def parse_amount(
    text: str,
    currency: str,
    field: str,
    *,
    too_large: type[GatewayError] = InvalidParameterValue,
) -> int:
    """Parse a wire amount into minor units, refusing negatives, zero and excess precision, and
    (``too_large``: Off-Amazon Payments answers InvalidParameterValue, API v2
    TransactionAmountExceeded) an amount over the currency's maximum."""
    exp = exponent(currency)
    try:
        if not _PLAIN_DECIMAL.fullmatch(text.strip()):
            raise InvalidOperation
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise InvalidParameterValue(f"{field} {text!r} is not a valid amount.") from None
    if not value.is_finite() or value <= 0:
        raise InvalidParameterValue(f"{field} must be a positive amount, got {text!r}.")
    if value > maximum_amount(currency):
        raise too_large(
            f"{field} {text} exceeds the maximum transaction amount of "
            f"{maximum_amount(currency)} {currency}."
        )
    minor = value.scaleb(exp)
    if minor != minor.to_integral_value():
        raise InvalidParameterValue(
            f"{field} {text!r} has more than {exp} decimal places for {currency}."
        )
    return int(minor)


def to_decimal(minor: int, currency: str) -> Decimal:
    """Minor units back to a Decimal with the currency's exponent (``1000, USD`` -> ``10.00``)."""
    exp = exponent(currency)
    return Decimal(minor).scaleb(-exp).quantize(Decimal(1).scaleb(-exp))


def format_amount(minor: int, currency: str) -> str:
    """The wire text of an amount: ``10.00`` for USD, ``1000`` for JPY."""
    return str(to_decimal(minor, currency))


def refund_cap(captured_minor: int, currency: str) -> int:
    """Most that all refunds of a capture may add up to, in minor units.

    The captured amount plus the lesser of 15 % of it (rounded down to the minor unit) and the
    currency's absolute over-cap.
    """
    exp = exponent(currency)
    absolute = OVER_CAP_ABSOLUTE.get(currency, OVER_CAP_DEFAULT_ABSOLUTE) * 10**exp
    percent = int(
        (Decimal(captured_minor) * OVER_CAP_PERCENT / 100).to_integral_value(rounding=ROUND_DOWN)
    )
    return int(captured_minor + min(percent, absolute))
