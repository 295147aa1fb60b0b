"""Payment tokens: installed through the sandbox API (as a buyer would through Amazon's co-branded
pages), listed, and cancelled by their caller. No Flask here.

A token belongs to the merchant (the caller) it was installed for; another caller's token id is
answered as an unknown one [SRC: the issue; reference/amazon-wire.md §4.3 CancelToken errors].
"""

from __future__ import annotations

from datetime import datetime

from gateway.domain.lifecycle import Context, created, transition
from gateway.fps import store
from gateway.fps.errors import InvalidTokenId, TokenNotActive
from gateway.fps.models import FpsToken
from gateway.fps.states import TokenStatus, TokenType

#: Token types that may pay only once.
SINGLE_PAYMENT_TYPES = frozenset({TokenType.SINGLE_USE})


def install_token(
    ctx: Context,
    *,
    token_type: str,
    caller_reference: str | None = None,
    friendly_name: str | None = None,
    payment_reason: str | None = None,
    payment_method: str = "CC",
    buyer_name: str = "Test Buyer",
    buyer_email: str = "buyer@example.com",
    max_transaction_minor: int | None = None,
    total_limit_minor: int | None = None,
    valid_until: datetime | None = None,
    pay_outcome: str = "Success",
    refund_outcome: str = "Success",
) -> FpsToken:
    """A new Active token; the caller reference defaults to a generated one."""
    token = FpsToken(
        amazon_id=ctx.ids.token(64),
        merchant_id=ctx.merchant.id,
        caller_reference=caller_reference or f"token-{ctx.ids.token(16)}",
        token_type=TokenType(token_type).value,
        friendly_name=friendly_name,
        payment_reason=payment_reason,
        payment_method=payment_method,
        buyer_name=buyer_name,
        buyer_email=buyer_email,
        max_transaction_minor=max_transaction_minor,
        total_limit_minor=total_limit_minor,
        used_minor=0,
        use_count=0,
        valid_until=valid_until,
        pay_outcome=pay_outcome,
        refund_outcome=refund_outcome,
        state=TokenStatus.ACTIVE,
        created_at=ctx.now,
    )
    created(ctx, token)
    return token


def token_by_reference(ctx: Context, caller_reference: str) -> FpsToken | None:
    return store.token_by_reference(ctx.session, ctx.merchant.id, caller_reference)


def find_token(ctx: Context, token_id: str, *, for_update: bool = False) -> FpsToken | None:
    """The caller's token with ``token_id``; None for an unknown one or another caller's.
    ``for_update`` locks it (an operation that changes it)."""
    return store.token(ctx.session, ctx.merchant.id, token_id, for_update=for_update)


def get_token(ctx: Context, token_id: str, *, for_update: bool = False) -> FpsToken:
    token = find_token(ctx, token_id, for_update=for_update)
    if token is None:
        raise InvalidTokenId(f"The token {token_id} is not a token installed by this caller.")
    return token


def get_token_by_caller(
    ctx: Context, token_id: str | None = None, caller_reference: str | None = None
) -> FpsToken:
    if token_id is not None:
        return get_token(ctx, token_id)
    assert caller_reference is not None  # the schema requires one of the two
    token = token_by_reference(ctx, caller_reference)
    if token is None:
        raise InvalidTokenId(f"No token installed with CallerReference {caller_reference}.")
    return token


def list_tokens(
    ctx: Context,
    token_status: str | None = None,
    caller_reference: str | None = None,
    friendly_name: str | None = None,
) -> list[FpsToken]:
    return store.tokens(
        ctx.session,
        ctx.merchant.id,
        state=token_status,
        caller_reference=caller_reference,
        friendly_name=friendly_name,
    )


def cancel_token(ctx: Context, token_id: str, reason_text: str | None = None) -> FpsToken:
    """Make the caller's token Inactive (notified as a TokenCancellation IPN)."""
    token = get_token(ctx, token_id, for_update=True)
    if token.state != TokenStatus.ACTIVE:
        # UNCONFIRMED: the answer to cancelling a cancelled token; TokenNotActive is in the
        # CancelToken error list (reference §4.3).
        raise TokenNotActive(f"The token {token_id} is already cancelled.")
    transition(ctx, token, TokenStatus.INACTIVE, "Cancelled", reason_text)
    return token
