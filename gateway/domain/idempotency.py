"""Seller reference ids: the same request again returns the first result. No Flask here.

[SRC: reference/amazon-wire.md §1.5 "Idempotency"] A reference id re-sent with identical parameters
returns what the first request created; with other parameters it is DuplicateRequest; a reference
id that another kind of request used is DuplicateReferenceId. Reference ids are unique per seller.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select

from gateway.domain.lifecycle import Context
from gateway.errors import DuplicateReferenceId, DuplicateRequest
from gateway.store.models import ReferenceId


def fingerprint(params: dict[str, Any]) -> str:
    """A stable digest of a request's business parameters."""
    text = json.dumps(params, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def replayed_object_id(
    ctx: Context, reference_id: str, operation: str, params: dict[str, Any]
) -> str | None:
    """The id the first request with ``reference_id`` created, or None for a new reference id."""
    row = ctx.session.scalar(
        select(ReferenceId).where(
            ReferenceId.merchant_id == ctx.merchant.id, ReferenceId.reference_id == reference_id
        )
    )
    if row is None:
        return None
    if row.operation != operation:
        raise DuplicateReferenceId(
            f"The reference id {reference_id} was already used by a {row.operation} request."
        )
    if row.fingerprint != fingerprint(params):
        raise DuplicateRequest(
            f"The reference id {reference_id} was already used by a {operation} request "
            "with other parameters."
        )
    return row.object_id


def claim(
    ctx: Context, reference_id: str, operation: str, params: dict[str, Any], object_id: str
) -> None:
    """Record that ``reference_id`` created ``object_id``. A racing twin fails on the unique key."""
    ctx.session.add(
        ReferenceId(
            merchant_id=ctx.merchant.id,
            reference_id=reference_id,
            operation=operation,
            fingerprint=fingerprint(params),
            object_id=object_id,
            created_at=ctx.now,
        )
    )
