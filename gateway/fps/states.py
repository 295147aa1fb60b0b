"""FPS token and transaction states, their transition tables, and their notifications.

Declared as ``Kind``s that ``gateway.composition`` installs in the runtime's registry, so that
``created``/``transition`` write the outbox ``Notification`` row in the same transaction, as for
the Off-Amazon Payments objects. No Flask.

Wire values [SRC: reference/amazon-wire.md §4.3]: TransactionStatus ``Pending``, ``Success``,
``Failure``, ``Cancelled`` (``Reserved`` belongs to Reserve, not emulated); IPNs spell them in upper
case (§4.6). TokenStatus ``Active``/``Inactive`` (GetTokens).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from gateway.domain.money import format_amount
from gateway.fps.models import FpsToken, FpsTransaction
from gateway.registry import Kind

TRANSACTION_KIND = "FpsTransaction"
TOKEN_KIND = "FpsToken"


class TransactionStatus(StrEnum):
    PENDING = "Pending"
    SUCCESS = "Success"
    FAILURE = "Failure"
    CANCELLED = "Cancelled"


class TokenStatus(StrEnum):
    """UNCONFIRMED values: the reference names GetTokens' ``TokenStatus`` but not its values."""

    ACTIVE = "Active"
    INACTIVE = "Inactive"


class TokenType(StrEnum):
    SINGLE_USE = "SingleUse"
    MULTI_USE = "MultiUse"
    RECURRING = "Recurring"
    PREPAID = "Prepaid"
    POSTPAID = "Postpaid"


_T, _K = TransactionStatus, TokenStatus

TRANSACTION_TRANSITIONS: Mapping[TransactionStatus, frozenset[TransactionStatus]] = {
    _T.PENDING: frozenset({_T.SUCCESS, _T.FAILURE, _T.CANCELLED}),
    _T.SUCCESS: frozenset(),
    _T.FAILURE: frozenset(),
    _T.CANCELLED: frozenset(),
}

TOKEN_TRANSITIONS: Mapping[TokenStatus, frozenset[TokenStatus]] = {
    _K.ACTIVE: frozenset({_K.INACTIVE}),
    _K.INACTIVE: frozenset(),
}

#: UNCONFIRMED: the IPN parameter ``statusCode`` per status. Amazon's list of status codes is
#: longer (reference §4.6 names the parameter only); these are plausible members of it.
STATUS_CODES: Mapping[str, tuple[str, str]] = {
    _T.PENDING: ("PendingNetworkResponse", "The transaction is awaiting a response from the bank."),
    _T.SUCCESS: ("Success", "The transaction was successful."),
    _T.FAILURE: ("TransactionDenied", "The transaction was denied by the payment processor."),
    _T.CANCELLED: ("Canceled", "The transaction was cancelled."),
}

#: FPS operation names: API spelling -> IPN spelling (reference §4.3).
IPN_OPERATIONS: Mapping[str, str] = {"Pay": "PAY", "Refund": "REFUND"}


def ipn_amount(minor: int, currency: str) -> str:
    """``USD 1.100000``: currency, space, six decimals, as the reference's IPN sample (§4.6)."""
    return f"{currency} {format_amount(minor, currency)}0000"


def transaction_ipn_fields(txn: FpsTransaction) -> dict[str, Any]:
    """The lowerCamelCase IPN parameters of a transaction status change (reference §4.6).

    UNCONFIRMED: the exact parameter set (the reference marks it partly unconfirmed);
    ``parentTransactionId`` on refunds is our addition, named as in Amazon Simple Pay's IPNs.
    """
    code, message = STATUS_CODES[txn.state]
    params: dict[str, Any] = {
        "notificationType": "TransactionStatus",
        "transactionId": txn.amazon_id,
        "transactionStatus": txn.state.upper(),
        "statusCode": code,
        "statusMessage": message,
        "operation": IPN_OPERATIONS[txn.operation],
        "transactionAmount": ipn_amount(txn.amount_minor, txn.currency),
        "transactionDate": str(int(txn.created_at.timestamp())),
        "callerReference": txn.caller_reference,
        "paymentMethod": txn.payment_method,
    }
    token = txn.sender_token or (txn.original.sender_token if txn.original else None)
    if token is not None:
        params["buyerName"] = token.buyer_name
        params["buyerEmail"] = token.buyer_email
    if txn.original is not None:
        params["parentTransactionId"] = txn.original.amazon_id
    if txn.caller_description:
        params["paymentReason"] = txn.caller_description
    return {"fps": params, "ipn_url": txn.override_ipn_url}


def token_ipn_fields(token: FpsToken) -> dict[str, Any]:
    """IPN parameters of a token cancellation.

    UNCONFIRMED names: the reference only says "token fields for cancellations" (§4.6).
    """
    params = {
        "notificationType": "TokenCancellation",
        "tokenId": token.amazon_id,
        "tokenType": token.token_type,
        "callerReference": token.caller_reference,
        "dateInstalled": str(int(token.created_at.timestamp())),
    }
    if token.reason_description:
        params["reasonText"] = token.reason_description
    return {"fps": params}


TRANSACTION = Kind(
    TRANSACTION_KIND,
    FpsTransaction,
    TRANSACTION_TRANSITIONS,
    initial=frozenset({_T.PENDING, _T.SUCCESS, _T.FAILURE}),
    # UNCONFIRMED: Amazon may also notify PENDING (reference §4.6 lists "pending"); we notify
    # outcomes only, so each transaction has exactly one IPN for its outcome.
    silent=frozenset({_T.PENDING}),
    notification="TransactionStatus",
    extra=transaction_ipn_fields,
)
TOKEN = Kind(
    TOKEN_KIND,
    FpsToken,
    TOKEN_TRANSITIONS,
    initial=frozenset({_K.ACTIVE}),
    silent=frozenset({_K.ACTIVE}),
    notification="TokenCancellation",
    extra=token_ipn_fields,
)

KINDS = (TRANSACTION, TOKEN)
