"""Pay, Refund and Cancel, and how a Pending transaction settles. No Flask here.

Rules [SRC: reference/amazon-wire.md §4.3, §4.5 and the issue]:
- Pay charges an Active sender token of the caller within its limits. Card (CC) and bank (ACH)
  payments answer Pending and settle after the merchant's ``settle_delay_seconds``; balance (ABT)
  payments complete at once. The FPS fee is charged to the recipient or the caller (ChargeFeeTo).
- Refund only a Success payment; any number of refunds while their sum stays within the amount;
  each refund is its own transaction, Pending, then Success or Failure. Refunds are counted
  against the payment when requested, on the payment row, read locked: the second of two racing
  refunds waits and sees the first's sum (as ``Capture.refund_reserved_minor``).
- CallerReference is idempotent per caller across FPS actions (the shared reference-id table).
Every check runs before anything changes.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

from gateway.domain.idempotency import claim, replayed_object_id
from gateway.domain.lifecycle import Context, created, plan, transition
from gateway.domain.money import format_amount, parse_amount
from gateway.fps import fees, store
from gateway.fps.errors import (
    AmountOutOfRange,
    InvalidParams,
    InvalidTokenId_Sender,
    InvalidTransactionId,
    InvalidTransactionState,
    OriginalTransactionFailed,
    OriginalTransactionIncomplete,
    RefundAmountExceeded,
    TokenNotActive,
    TokenUsageError,
    TransactionFullyRefundedAlready,
    TransactionTypeNotRefundable,
)
from gateway.fps.models import FpsToken, FpsTransaction
from gateway.fps.states import TokenStatus, TransactionStatus
from gateway.fps.tokens import SINGLE_PAYMENT_TYPES, find_token
from gateway.registry import DueKind

T = TransactionStatus

#: A TransactionId: 35 upper-case alphanumerics (reference §4.3 "Id formats").
TRANSACTION_ID = re.compile(r"[A-Z0-9]{35}")

#: Payment methods that settle asynchronously (reference §4.3: "CC/ACH return Pending").
ASYNC_METHODS = frozenset({"CC", "ACH"})

#: Refund policies under which the caller gives back its marketplace fee (reference §4.3).
MARKETPLACE_FEE_REFUNDED = frozenset({"MarketplaceTxnOnly", "MasterAndMarketplaceTxn"})


def _reference_key(caller_reference: str) -> str:
    """The reference-id table key: FPS CallerReferences live apart from Amazon Pay's reference
    ids of the same merchant; one too long for the prefix is kept as a digest."""
    key = f"fps:{caller_reference}"
    if len(key) <= 128:
        return key
    return "fps#" + hashlib.sha256(caller_reference.encode("utf-8")).hexdigest()


def _replayed(
    ctx: Context, caller_reference: str, action: str, params: dict[str, Any]
) -> FpsTransaction | None:
    found = replayed_object_id(ctx, _reference_key(caller_reference), action, params)
    return None if found is None else get_transaction(ctx, found)


def _amount(text: str, field: str) -> int:
    return parse_amount(text, "USD", field)


def get_transaction(
    ctx: Context, transaction_id: str, *, for_update: bool = False
) -> FpsTransaction:
    """The caller's transaction; another caller's id is answered as an unknown one.
    ``for_update`` locks it (an operation that changes it or counts against it)."""
    if not TRANSACTION_ID.fullmatch(transaction_id):
        # Amazon's sample answer to a malformed id (reference §4.4, ResponseSamples fixture).
        raise InvalidParams(
            f"transactionId has to be a valid transaction ID. Specified value: {transaction_id}"
        )
    txn = store.transaction(ctx.session, ctx.merchant.id, transaction_id, for_update=for_update)
    if txn is None:
        raise InvalidTransactionId(
            f"The transaction {transaction_id} is not a transaction of this caller."
        )
    return txn


# --- Pay -------------------------------------------------------------------------------------


def pay(
    ctx: Context,
    *,
    sender_token_id: str,
    amount: str,
    currency: str,
    caller_reference: str,
    charge_fee_to: str | None = None,
    caller_description: str | None = None,
    sender_description: str | None = None,
    marketplace_fixed_fee: str | None = None,
    marketplace_fixed_fee_currency: str | None = None,
    marketplace_variable_fee: Decimal | None = None,
    override_ipn_url: str | None = None,
) -> FpsTransaction:
    params = {k: v for k, v in locals().items() if k != "ctx"}
    replay = _replayed(ctx, caller_reference, "Pay", params)
    if replay is not None:
        return replay
    # Locked: the token's limits count this payment, and a concurrent Pay on it waits.
    token = find_token(ctx, sender_token_id, for_update=True)
    if token is None:
        raise InvalidTokenId_Sender(f"Sender token {sender_token_id} is not valid.")
    amount_minor = _amount(amount, "TransactionAmount.Value")
    _check_token(ctx, token, amount_minor)
    schedule = fees.schedule_for(ctx.session, ctx.merchant.id)
    marketplace = 0
    if marketplace_fixed_fee is not None:
        marketplace += _amount(marketplace_fixed_fee, "MarketplaceFixedFee.Value")
    if marketplace_variable_fee is not None:
        marketplace += fees.percentage_of(amount_minor, marketplace_variable_fee)
    fee = schedule.fee(amount_minor)
    # UNCONFIRMED: AmountOutOfRange when the fees would take more than the amount.
    if fee + marketplace > amount_minor:
        raise AmountOutOfRange(
            f"The fees ({format_amount(fee + marketplace, 'USD')} USD) exceed the amount {amount}."
        )
    token.used_minor += amount_minor
    token.use_count += 1
    txn = FpsTransaction(
        amazon_id=ctx.ids.token(35),
        merchant_id=ctx.merchant.id,
        operation="Pay",
        caller_reference=caller_reference,
        caller_description=caller_description,
        sender_description=sender_description,
        sender_token=token,
        payment_method=token.payment_method,
        currency=currency,
        amount_minor=amount_minor,
        fee_minor=fee,
        # UNCONFIRMED default for 2008-09-17 (the reference gives Recipient for 2010-08-28).
        fee_payer=charge_fee_to or "Recipient",
        marketplace_fee_minor=marketplace,
        refund_reserved_minor=0,
        fee_refunded_minor=0,
        marketplace_fee_refunded_minor=0,
        override_ipn_url=override_ipn_url,
        state=T.PENDING,
        created_at=ctx.now,
    )
    if token.payment_method in ASYNC_METHODS:
        delay = timedelta(seconds=ctx.merchant.settle_delay_seconds)
        plan(txn, ctx.now + delay, token.pay_outcome)
    else:
        txn.state = token.pay_outcome
        txn.completed_at = ctx.now
        if txn.state == T.FAILURE:
            _release_token(txn)
    created(ctx, txn)
    claim(ctx, _reference_key(caller_reference), "Pay", params, txn.amazon_id)
    return txn


def _check_token(ctx: Context, token: FpsToken, amount_minor: int) -> None:
    if token.state != TokenStatus.ACTIVE:
        # The issue asks for TokenNotActive; UNCONFIRMED whether Pay answers TokenNotActive_Sender.
        raise TokenNotActive(f"The sender token {token.amazon_id} is not active.")
    # UNCONFIRMED: an expired token answers like a cancelled one.
    if token.valid_until is not None and ctx.now > token.valid_until:
        raise TokenNotActive(f"The sender token {token.amazon_id} expired.")
    # UNCONFIRMED: TokenUsageError for every exceeded token limit (reference §4.4 names the code).
    if token.token_type in SINGLE_PAYMENT_TYPES and token.use_count > 0:
        raise TokenUsageError(f"The single-use token {token.amazon_id} was already used.")
    if token.max_transaction_minor is not None and amount_minor > token.max_transaction_minor:
        raise TokenUsageError(
            f"The amount exceeds the token's limit per payment of "
            f"{format_amount(token.max_transaction_minor, 'USD')} USD."
        )
    if token.total_limit_minor is not None:
        left = token.total_limit_minor - token.used_minor
        if amount_minor > left:
            raise TokenUsageError(
                f"The amount exceeds what remains of the token's limit: "
                f"{format_amount(max(left, 0), 'USD')} USD."
            )


def _release_token(txn: FpsTransaction) -> None:
    """A failed or cancelled payment no longer counts against its token's limits."""
    token = txn.sender_token
    if token is not None:
        token.used_minor -= txn.amount_minor
        token.use_count -= 1


# --- Refund ----------------------------------------------------------------------------------


def refund(
    ctx: Context,
    *,
    transaction_id: str,
    caller_reference: str,
    amount: str | None = None,
    currency: str | None = None,
    caller_description: str | None = None,
    marketplace_refund_policy: str | None = None,
    override_ipn_url: str | None = None,
) -> FpsTransaction:
    params = {k: v for k, v in locals().items() if k != "ctx"}
    replay = _replayed(ctx, caller_reference, "Refund", params)
    if replay is not None:
        return replay
    # Locked: the refunds' sum is kept on the payment, and a concurrent Refund of it waits.
    original = get_transaction(ctx, transaction_id, for_update=True)
    _check_refundable(original)
    remaining = original.amount_minor - original.refund_reserved_minor
    if remaining <= 0:
        raise TransactionFullyRefundedAlready(
            f"The transaction {original.amazon_id} has already been fully refunded."
        )
    # RefundAmount defaults to the remaining amount (reference §4.3).
    amount_minor = remaining if amount is None else _amount(amount, "RefundAmount.Value")
    if amount_minor > remaining:
        raise RefundAmountExceeded(
            f"The refund amount {amount} USD exceeds the refundable amount of transaction "
            f"{original.amazon_id}: {format_amount(remaining, 'USD')} USD."
        )
    reserved_after = original.refund_reserved_minor + amount_minor
    fee_share = fees.refund_share(
        original.fee_minor, original.fee_refunded_minor, original.amount_minor, reserved_after
    )
    # MarketplaceRefundPolicy (reference §4.3): MasterTxnOnly (the default) lets the caller keep
    # its marketplace fee; the two others give it back. UNCONFIRMED: in the same proportion as
    # the FPS fee (§4.5 states the proportion for FPS's fee only).
    policy = marketplace_refund_policy or "MasterTxnOnly"
    marketplace_share = 0
    if policy in MARKETPLACE_FEE_REFUNDED:
        marketplace_share = fees.refund_share(
            original.marketplace_fee_minor,
            original.marketplace_fee_refunded_minor,
            original.amount_minor,
            reserved_after,
        )
    original.refund_reserved_minor = reserved_after
    original.fee_refunded_minor += fee_share
    original.marketplace_fee_refunded_minor += marketplace_share
    txn = FpsTransaction(
        amazon_id=ctx.ids.token(35),
        merchant_id=ctx.merchant.id,
        operation="Refund",
        caller_reference=caller_reference,
        caller_description=caller_description,
        original=original,
        payment_method=original.payment_method,
        currency=original.currency,
        amount_minor=amount_minor,
        fee_minor=fee_share,
        fee_payer=original.fee_payer,
        marketplace_fee_minor=marketplace_share,
        marketplace_refund_policy=policy,
        override_ipn_url=override_ipn_url,
        state=T.PENDING,
        created_at=ctx.now,
    )
    # Refunds are batch-processed: always Pending first (reference §4.3).
    token = original.sender_token
    outcome = token.refund_outcome if token is not None else T.SUCCESS.value
    plan(txn, ctx.now + timedelta(seconds=ctx.merchant.settle_delay_seconds), outcome)
    created(ctx, txn)
    claim(ctx, _reference_key(caller_reference), "Refund", params, txn.amazon_id)
    return txn


def _check_refundable(original: FpsTransaction) -> None:
    if original.operation != "Pay":
        raise TransactionTypeNotRefundable(
            f"The transaction {original.amazon_id} is a {original.operation}; only a Pay "
            "transaction can be refunded."
        )
    if original.state == T.PENDING:
        raise OriginalTransactionIncomplete(
            f"The transaction {original.amazon_id} is still Pending; refund it once it succeeded."
        )
    if original.state == T.FAILURE:
        raise OriginalTransactionFailed(f"The transaction {original.amazon_id} failed.")
    if original.state != T.SUCCESS:
        raise InvalidTransactionState(
            f"The transaction {original.amazon_id} is {original.state} and cannot be refunded."
        )


def _release_refund(txn: FpsTransaction) -> None:
    """A failed or cancelled refund gives its amount and fee shares back to the payment."""
    original = txn.original
    assert original is not None
    original.refund_reserved_minor -= txn.amount_minor
    original.fee_refunded_minor -= txn.fee_minor
    original.marketplace_fee_refunded_minor -= txn.marketplace_fee_minor


# --- Cancel and settlement -------------------------------------------------------------------


def cancel(ctx: Context, transaction_id: str, description: str | None = None) -> FpsTransaction:
    """Cancel a Pending transaction (UNCONFIRMED: FPS documents Cancel for Reserved and Pending
    transactions; Reserve is not emulated, so only Pending ones here)."""
    txn = get_transaction(ctx, transaction_id, for_update=True)
    if txn.state != T.PENDING:
        raise InvalidTransactionState(
            f"The transaction {txn.amazon_id} is {txn.state}; only a Pending one can be cancelled."
        )
    _release(txn)
    txn.completed_at = ctx.now
    transition(ctx, txn, T.CANCELLED, "Cancelled", description)
    return txn


def _release(txn: FpsTransaction) -> None:
    if txn.operation == "Refund":
        _release_refund(txn)
    else:
        _release_token(txn)


def settle(ctx: Context, txn: FpsTransaction) -> None:
    """Apply a Pending transaction's planned outcome (``DUE_WORK``)."""
    assert txn.planned_state is not None
    if txn.planned_state != T.SUCCESS:
        _release(txn)
    txn.completed_at = ctx.now
    transition(ctx, txn, txn.planned_state, txn.planned_reason)


#: FPS's due work (``gateway.composition`` installs it).
DUE_WORK = (DueKind(FpsTransaction, (T.PENDING.value,), settle),)
