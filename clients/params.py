"""Request-parameter helpers shared by the API clients: amounts, optional values, booleans."""

from __future__ import annotations

from decimal import Decimal

#: What callers may pass as an amount; floats are refused to keep cents exact.
Amount = Decimal | str | int


def format_amount(amount: Amount) -> str:
    """Render an amount as a plain decimal string (``Decimal("10.00")`` → ``"10.00"``)."""
    if isinstance(amount, float):
        raise TypeError("pass amounts as Decimal, str or int, not float")
    value = Decimal(amount)
    if not value.is_finite():
        raise ValueError(f"amount must be finite, got {amount!r}")
    return format(value, "f")


def optional(**named: str | None) -> dict[str, str]:
    """Keep only the parameters that were given (optional ones are sent only when set, §1.5)."""
    return {name: value for name, value in named.items() if value is not None}


def flag(value: bool | None) -> str | None:
    """``True``/``False`` → ``"true"``/``"false"`` as the wire spells booleans; None stays None."""
    return None if value is None else ("true" if value else "false")
