"""FPS answers (Version 2008-09-17 / 2010-08-28) → frozen dataclasses. No I/O.

Shapes: reference/amazon-wire.md §4.3 (``<Action>Response/<Action>Result`` with
``TransactionId``/``TransactionStatus``; CancelToken answers with ResponseMetadata only) and
§3.3 (GetTransaction's ``Transaction`` with ComplexAmounts ``{Value, CurrencyCode}``,
GetTokens' ``Token*``). Fields are matched by local name, so both version namespaces work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from clients import _xml
from clients._xml import Element


@dataclass(frozen=True)
class FpsAmount:
    """A ComplexAmount: ``<X><CurrencyCode/><Value/></X>`` (§3.3)."""

    value: Decimal
    currency_code: str


@dataclass(frozen=True)
class FpsTransactionResult:
    """Pay / Refund / Cancel result: the (new) transaction id and its status (§4.3)."""

    transaction_id: str
    transaction_status: str
    request_id: str | None = None


@dataclass(frozen=True)
class FpsTransactionStatus:
    """``GetTransactionStatusResult`` (§4.3)."""

    transaction_id: str
    transaction_status: str
    caller_reference: str | None
    status_code: str | None
    status_message: str | None
    request_id: str | None = None


@dataclass(frozen=True)
class FpsTransaction:
    """``GetTransactionResult/Transaction``; ``fields`` keeps every simple child by name."""

    transaction_id: str
    transaction_status: str | None
    caller_reference: str | None
    fps_operation: str | None
    payment_method: str | None
    status_code: str | None
    status_message: str | None
    date_received: datetime | None
    date_completed: datetime | None
    transaction_amount: FpsAmount | None
    fps_fees: FpsAmount | None
    fields: Mapping[str, str] = field(default_factory=dict, compare=False)
    request_id: str | None = None


@dataclass(frozen=True)
class FpsToken:
    """A ``Token`` of GetTokens / GetTokenByCaller."""

    token_id: str
    token_status: str | None
    token_type: str | None
    caller_reference: str | None
    friendly_name: str | None
    date_installed: datetime | None
    old_token_id: str | None
    payment_reason: str | None


@dataclass(frozen=True)
class SignatureVerification:
    """``VerifySignatureResult/VerificationStatus`` (§4.6): ``Success`` or ``Failure``."""

    verification_status: str
    request_id: str | None = None

    @property
    def verified(self) -> bool:
        """True only for ``Success``."""
        return self.verification_status == "Success"


def parse_amount(element: Element | None) -> FpsAmount | None:
    """A ComplexAmount, or None when absent."""
    value = _xml.decimal(_xml.text(element, "Value"))
    if value is None:
        return None
    return FpsAmount(value=value, currency_code=_xml.text(element, "CurrencyCode") or "")


def parse_transaction_result(result: Element, request_id: str | None) -> FpsTransactionResult:
    """PayResult / RefundResult / CancelResult."""
    return FpsTransactionResult(
        transaction_id=_xml.required_text(result, "TransactionId"),
        transaction_status=_xml.required_text(result, "TransactionStatus"),
        request_id=request_id,
    )


def parse_transaction_status(result: Element, request_id: str | None) -> FpsTransactionStatus:
    """GetTransactionStatusResult."""
    return FpsTransactionStatus(
        transaction_id=_xml.required_text(result, "TransactionId"),
        transaction_status=_xml.required_text(result, "TransactionStatus"),
        caller_reference=_xml.text(result, "CallerReference"),
        status_code=_xml.text(result, "StatusCode"),
        status_message=_xml.text(result, "StatusMessage"),
        request_id=request_id,
    )


def parse_transaction(result: Element, request_id: str | None) -> FpsTransaction:
    """GetTransactionResult (its ``Transaction`` child)."""
    transaction = _xml.require(result, "Transaction")
    return FpsTransaction(
        transaction_id=_xml.required_text(transaction, "TransactionId"),
        transaction_status=_xml.text(transaction, "TransactionStatus"),
        caller_reference=_xml.text(transaction, "CallerReference"),
        fps_operation=_xml.text(transaction, "FPSOperation"),
        payment_method=_xml.text(transaction, "PaymentMethod"),
        status_code=_xml.text(transaction, "StatusCode"),
        status_message=_xml.text(transaction, "StatusMessage"),
        date_received=_xml.timestamp(_xml.text(transaction, "DateReceived")),
        date_completed=_xml.timestamp(_xml.text(transaction, "DateCompleted")),
        transaction_amount=parse_amount(_xml.child(transaction, "TransactionAmount")),
        fps_fees=parse_amount(_xml.child(transaction, "FPSFees")),
        fields=_xml.simple_fields(transaction),
        request_id=request_id,
    )


def parse_token(element: Element) -> FpsToken:
    """One ``Token`` element."""
    return FpsToken(
        token_id=_xml.required_text(element, "TokenId"),
        token_status=_xml.text(element, "TokenStatus"),
        token_type=_xml.text(element, "TokenType"),
        caller_reference=_xml.text(element, "CallerReference"),
        friendly_name=_xml.text(element, "FriendlyName"),
        date_installed=_xml.timestamp(_xml.text(element, "DateInstalled")),
        old_token_id=_xml.text(element, "OldTokenId"),
        payment_reason=_xml.text(element, "PaymentReason"),
    )


def parse_tokens(result: Element) -> tuple[FpsToken, ...]:
    """GetTokensResult → every ``Token`` (possibly none)."""
    return tuple(parse_token(t) for t in _xml.children(result, "Token"))


def parse_verification(result: Element, request_id: str | None) -> SignatureVerification:
    """VerifySignatureResult."""
    return SignatureVerification(_xml.required_text(result, "VerificationStatus"), request_id)
