"""``x-amz-pay-idempotency-key``: the same key and request again get the first answer. No Flask.

[SRC: reference/amazon-pay-v2.md §1] Create calls and Capture require the key; a key re-sent
with the same request answers what the first request answered (status and body), with another
request ``DuplicateIdempotencyKey``. Keys are kept per merchant and operation (the same key may
serve a Create Charge and a Capture), like the v1 reference ids (``gateway.domain.idempotency``,
whose fingerprint this uses). Only answers are kept: a refused request leaves nothing (its
transaction is rolled back), so it may be sent again with the same key. A racing twin of the
first request fails on the unique key and its unit of work, run again, finds the first answer.
UNCONFIRMED: how long Amazon keeps a key; here as long as the merchant's data (a reset of the
sandbox forgets them).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.domain.idempotency import fingerprint
from gateway.v2.account_models import V2IdempotencyKey
from gateway.v2.calls import V2Answer
from gateway.v2.errors import DuplicateIdempotencyKey, InvalidHeaderValue

HEADER = "x-amz-pay-idempotency-key"
#: UNCONFIRMED (reference §1: "32 characters is one third-party reading"): longer keys are
#: refused InvalidHeaderValue.
MAX_KEY_LENGTH = 32


def check_key(key: str) -> str:
    """``key`` if it is a usable idempotency key, else InvalidHeaderValue."""
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidHeaderValue(
            f"The value of {HEADER} is {len(key)} characters long; the most is {MAX_KEY_LENGTH}."
        )
    if not key.isascii() or not key.isprintable():
        raise InvalidHeaderValue(f"The value of {HEADER} must be printable ASCII.")
    return key


def request_print(path_params: Mapping[str, str], body: Mapping[str, Any]) -> str:
    """What makes two requests of one operation the same request."""
    return fingerprint({"path": dict(path_params), "body": dict(body)})


def replayed(
    session: Session, merchant_id: int, operation: str, key: str, printed: str
) -> V2Answer | None:
    """The first answer to this key and request; None for a new key; DuplicateIdempotencyKey
    when the key was used with another request."""
    row = session.scalar(
        select(V2IdempotencyKey).where(
            V2IdempotencyKey.merchant_id == merchant_id,
            V2IdempotencyKey.operation == operation,
            V2IdempotencyKey.idempotency_key == key,
        )
    )
    if row is None:
        return None
    if row.fingerprint != printed:
        raise DuplicateIdempotencyKey(
            f"The idempotency key {key} was already used in a different {operation} request "
            "and cannot be reused."
        )
    return V2Answer(row.status, row.answer)


def remember(
    session: Session,
    merchant_id: int,
    operation: str,
    key: str,
    printed: str,
    answer: V2Answer,
    now: datetime,
) -> None:
    """Keep ``answer`` as the answer to this key and request (a twin fails on the unique key)."""
    session.add(
        V2IdempotencyKey(
            merchant_id=merchant_id,
            operation=operation,
            idempotency_key=key,
            fingerprint=printed,
            status=answer.status,
            answer=dict(answer.body),
            created_at=now,
        )
    )
    session.flush()
