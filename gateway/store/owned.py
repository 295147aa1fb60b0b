"""A merchant's object by its Amazon id (every operation on an existing object starts here)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from gateway.store.models import (
    Authorization,
    BillingAgreement,
    Capture,
    Dispute,
    OrderReference,
)

Owned = TypeVar("Owned", OrderReference, Authorization, Capture, Dispute, BillingAgreement)


#: One statement per model, built once: constructing a select per request cost as much as
#: running it.
_BY_AMAZON_ID: Mapping[type[Any], Any] = MappingProxyType(
    {
        model: select(model).where(
            model.amazon_id == bindparam("amazon_id"),
            model.merchant_id == bindparam("merchant_id"),
        )
        for model in (OrderReference, Authorization, Capture, Dispute, BillingAgreement)
    }
)


def owned(session: Session, model: type[Owned], merchant_id: int, amazon_id: str) -> Owned | None:
    """The merchant's ``model`` object with ``amazon_id``; None when it is another merchant's."""
    found: Owned | None = session.scalar(
        _BY_AMAZON_ID[model], {"amazon_id": amazon_id, "merchant_id": merchant_id}
    )
    return found
