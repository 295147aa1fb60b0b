"""FPS queries: the caller's account, tokens and transactions (the FPS tables' ``gateway.store``)."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from gateway.fps.models import FpsAccount, FpsToken, FpsTransaction
from gateway.store.paging import Key, Page, page

Query = TypeVar("Query", bound=Select[Any])


def account_of(session: Session, merchant_id: int) -> FpsAccount | None:
    """The merchant's FPS account settings (None: the default fee schedule)."""
    return session.scalar(select(FpsAccount).where(FpsAccount.merchant_id == merchant_id))


def token(
    session: Session, merchant_id: int, token_id: str, *, for_update: bool = False
) -> FpsToken | None:
    """The caller's token; ``for_update`` locks it (see ``transaction``)."""
    query = select(FpsToken).where(
        FpsToken.amazon_id == token_id, FpsToken.merchant_id == merchant_id
    )
    return session.scalar(_locked(query) if for_update else query)


def token_by_reference(
    session: Session, merchant_id: int, caller_reference: str
) -> FpsToken | None:
    return session.scalar(
        select(FpsToken).where(
            FpsToken.merchant_id == merchant_id, FpsToken.caller_reference == caller_reference
        )
    )


def tokens(
    session: Session,
    merchant_id: int,
    *,
    state: str | None,
    caller_reference: str | None,
    friendly_name: str | None,
) -> list[FpsToken]:
    """The merchant's tokens, oldest first, with those of the given values (None: any)."""
    query = select(FpsToken).where(FpsToken.merchant_id == merchant_id)
    if state is not None:
        query = query.where(FpsToken.state == state)
    if caller_reference is not None:
        query = query.where(FpsToken.caller_reference == caller_reference)
    if friendly_name is not None:
        query = query.where(FpsToken.friendly_name == friendly_name)
    return list(session.scalars(query.order_by(FpsToken.id)))


def transaction(
    session: Session, merchant_id: int, transaction_id: str, *, for_update: bool = False
) -> FpsTransaction | None:
    """The caller's transaction; ``for_update`` locks it until the transaction ends (PostgreSQL),
    so a concurrent Pay on one token or Refund on one payment waits and then reads what this
    one committed, instead of losing the row version's compare-and-set."""
    query = select(FpsTransaction).where(
        FpsTransaction.amazon_id == transaction_id, FpsTransaction.merchant_id == merchant_id
    )
    return session.scalar(_locked(query) if for_update else query)


def _locked(query: Query) -> Query:
    # populate_existing: the locked row's values replace any this transaction loaded before.
    return query.with_for_update().execution_options(populate_existing=True)


def token_page(
    session: Session, merchant_id: int, *, cursor: str | None, limit: int
) -> Page[FpsToken]:
    """A merchant's tokens, newest first, one page (the sandbox API's list)."""
    return page(
        session,
        select(FpsToken).where(FpsToken.merchant_id == merchant_id),
        Key((FpsToken.id,), (int,)),
        cursor=cursor,
        limit=limit,
        build=lambda row: row[0],
        key_of=lambda token: (token.id,),
    )
