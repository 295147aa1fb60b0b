"""Seller reference ids: the same request again returns the first result. No Flask here.

[SRC: reference/amazon-wire.md §1.5 "Idempotency"] A reference id re-sent with identical parameters
returns what the first request created; with other parameters it is DuplicateRequest; a reference
id that another kind of request used is DuplicateReferenceId. Reference ids are unique per seller.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, select

from gateway.domain.lifecycle import Context
from gateway.errors import DuplicateReferenceId, DuplicateRequest
from gateway.store.models import ReferenceId


def fingerprint(params: dict[str, Any]) -> str:
    """A stable digest of a request's business parameters."""
    text = json.dumps(params, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


#: Core statements built once (hot path: every Authorize, Capture and Refund); a reference id
#: row is never changed after its insert, so nothing needs the unit of work here.
REFERENCE_IDS = cast(Table, ReferenceId.__table__)
#: What ``replay_of`` reads of a reference id's row.
REFERENCE_ID_COLUMNS = (
    REFERENCE_IDS.c.operation,
    REFERENCE_IDS.c.fingerprint,
    REFERENCE_IDS.c.object_id,
)
#: The merchant's reference id (bound as ``merchant_id`` and ``reference_id``).
SAME_REFERENCE_ID = and_(
    REFERENCE_IDS.c.merchant_id == bindparam("merchant_id"),
    REFERENCE_IDS.c.reference_id == bindparam("reference_id"),
)
_BY_REFERENCE_ID = select(*REFERENCE_ID_COLUMNS).where(SAME_REFERENCE_ID)
_INSERT_REFERENCE_ID = REFERENCE_IDS.insert()


def replayed_object_id(
    ctx: Context, reference_id: str, operation: str, params: dict[str, Any]
) -> str | None:
    """The id the first request with ``reference_id`` created, or None for a new reference id."""
    row = (
        ctx.session.connection()
        .execute(_BY_REFERENCE_ID, {"merchant_id": ctx.merchant.id, "reference_id": reference_id})
        .first()
    )
    return replay_of(row, reference_id, operation, params)


def replay_of(row: Any, reference_id: str, operation: str, params: dict[str, Any]) -> str | None:
    """``replayed_object_id`` for a ``reference_ids`` row already read (None: not used yet).

    ``row`` has the ``operation``, ``fingerprint`` and ``object_id`` of the row; the Refund
    operation reads them in the same statement as its capture (``REFERENCE_ID_COLUMNS``).
    """
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
    object_id: str = row.object_id
    return object_id


def claim(
    ctx: Context, reference_id: str, operation: str, params: dict[str, Any], object_id: str
) -> None:
    """Record that ``reference_id`` created ``object_id``. A racing twin fails on the unique key."""
    ctx.session.connection().execute(
        _INSERT_REFERENCE_ID,
        {
            "merchant_id": ctx.merchant.id,
            "reference_id": reference_id,
            "operation": operation,
            "fingerprint": fingerprint(params),
            "object_id": object_id,
            "created_at": ctx.now,
        },
    )
