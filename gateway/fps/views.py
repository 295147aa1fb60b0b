"""FPS objects as wire data (dicts in element order) for ``gateway.wire.render``. No Flask here.

Shapes [SRC: reference/amazon-wire.md §4.3 and §3.3]: ``TransactionId``/``TransactionStatus``
results; GetTransaction's ``Transaction`` whose amounts are ComplexAmounts holding exactly
``CurrencyCode`` and ``Value`` (boto asserts on anything else) with six decimals, refunds
showing negative fees (ResponseSamples fixture, §4.5); GetTokens' ``Token`` elements.
"""

from __future__ import annotations

from typing import Any

from gateway.domain.money import format_amount
from gateway.fps.models import FpsToken, FpsTransaction
from gateway.fps.states import STATUS_CODES


def amount(minor: int, currency: str = "USD") -> dict[str, str]:
    """A ComplexAmount with six decimals (``-0.100000`` in Amazon's GetTransaction sample)."""
    return {"CurrencyCode": currency, "Value": format_amount(minor, currency) + "0000"}


def transaction_result(txn: FpsTransaction) -> dict[str, Any]:
    return {"TransactionId": txn.amazon_id, "TransactionStatus": txn.state}


def transaction_status(txn: FpsTransaction) -> dict[str, Any]:
    code, message = STATUS_CODES[txn.state]
    return {
        "TransactionId": txn.amazon_id,
        "TransactionStatus": txn.state,
        "CallerReference": txn.caller_reference,
        "StatusCode": code,
        "StatusMessage": message,
    }


def _sign(txn: FpsTransaction) -> int:
    # Money given back shows negative fees on the refund transaction (reference §4.5).
    return -1 if txn.operation == "Refund" else 1


def transaction(txn: FpsTransaction) -> dict[str, Any]:
    """GetTransaction's ``Transaction``.

    UNCONFIRMED: element order, the optional elements, and the date format (our renderer's
    ``2026-11-01T12:00:05.000Z``).
    """
    code, message = STATUS_CODES[txn.state]
    sign = _sign(txn)
    token = txn.sender_token or (txn.original.sender_token if txn.original else None)
    caller_fee = txn.fee_minor if txn.fee_payer == "Caller" else 0
    recipient_fee = txn.fee_minor - caller_fee
    return {
        "TransactionId": txn.amazon_id,
        "CallerReference": txn.caller_reference,
        "CallerDescription": txn.caller_description,
        "SenderDescription": txn.sender_description,
        "DateReceived": txn.created_at,
        "DateCompleted": txn.completed_at,
        "TransactionAmount": amount(txn.amount_minor, txn.currency),
        "FPSFees": amount(sign * txn.fee_minor, txn.currency),
        "FPSFeesPaidBy": txn.fee_payer,
        "SenderTokenId": token.amazon_id if token else None,
        "FPSOperation": txn.operation,
        "PaymentMethod": txn.payment_method,
        "TransactionStatus": txn.state,
        "StatusCode": code,
        "StatusMessage": message,
        "OriginalTransactionId": txn.original.amazon_id if txn.original else None,
        "TransactionPart": [
            {"Role": "Caller", "FeesPaid": amount(sign * caller_fee, txn.currency)},
            {"Role": "Recipient", "FeesPaid": amount(sign * recipient_fee, txn.currency)},
        ],
    }


def token(tok: FpsToken) -> dict[str, Any]:
    return {
        "TokenId": tok.amazon_id,
        "FriendlyName": tok.friendly_name,
        "TokenStatus": tok.state,
        "DateInstalled": tok.created_at,
        "CallerReference": tok.caller_reference,
        "TokenType": tok.token_type,
        "PaymentReason": tok.payment_reason,
    }
