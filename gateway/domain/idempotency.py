"""Seller reference ids: the same request again returns the first result. No Flask here.

[SRC: reference/amazon-wire.md §1.5 "Idempotency"] A reference id re-sent with identical parameters
returns what the first request created; with other parameters it is DuplicateRequest; a reference
id that another kind of request used is DuplicateReferenceId. Reference ids are unique per seller.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from gateway.domain.lifecycle import Context
from gateway.errors import DuplicateReferenceId, DuplicateRequest
from gateway.store import reference_ids
from gateway.store.reference_ids import ReferenceUse


def fingerprint(params: dict[str, Any]) -> str:
    """A stable digest of a request's business parameters."""
    text = json.dumps(params, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def replayed_object_id(
    ctx: Context, reference_id: str, operation: str, params: dict[str, Any]
) -> str | None:
    """The id the first request with ``reference_id`` created, or None for a new reference id."""
    use = reference_ids.find(ctx.session, ctx.merchant.id, reference_id)
    return replay_of(use, reference_id, operation, params)


def replay_of(
    use: ReferenceUse | None, reference_id: str, operation: str, params: dict[str, Any]
) -> str | None:
    """``replayed_object_id`` for a use already read (None: not used yet).

    The Refund operation reads it in the same statement as its capture
    (``gateway.store.refunds.refund_source``).
    """
    if use is None:
        return None
    if use.operation != operation:
        raise DuplicateReferenceId(
            f"The reference id {reference_id} was already used by a {use.operation} request."
        )
    if use.fingerprint != fingerprint(params):
        raise DuplicateRequest(
            f"The reference id {reference_id} was already used by a {operation} request "
            "with other parameters."
        )
    return use.object_id


def claim(
    ctx: Context, reference_id: str, operation: str, params: dict[str, Any], object_id: str
) -> None:
    """Record that ``reference_id`` created ``object_id``. A racing twin fails on the unique key."""
    use = ReferenceUse(operation, fingerprint(params), object_id)
    reference_ids.insert(ctx.session, ctx.merchant.id, reference_id, use, ctx.now)
