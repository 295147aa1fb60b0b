"""One Off-Amazon Payments request, from signed parameters to an XML answer. No Flask here.

Verification, the operation and its notification rows run in one transaction, so a request
either happens completely or not at all (and is retried whole when it loses a race).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from gateway import signing
from gateway.domain.records import MerchantRecord
from gateway.errors import (
    GatewayError,
    InternalServerError,
    InvalidAddress,
    InvalidParameterValue,
    MissingParameter,
    UnauthorizedAccess,
)
from gateway.runtime import Runtime
from gateway.store import merchants
from gateway.wire.operations import OPERATIONS
from gateway.wire.params import load
from gateway.wire.render import OFFAMAZON_NAMESPACE, render_error, render_result

log = logging.getLogger(__name__)

API_VERSION = "2013-01-01"

#: Characters XML 1.0 cannot carry (answers echo values, so such a value would break them).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def secret_lookup(session: Session) -> Any:
    def secret_for(access_key: str) -> tuple[MerchantRecord, str] | None:
        merchant = merchants.by_access_key(session, access_key)
        return None if merchant is None else (merchant, merchant.secret_key)

    return secret_for


def handle(
    runtime: Runtime, *, method: str, host: str, path: str, params: Mapping[str, str]
) -> tuple[int, bytes]:
    """Answer one request: ``(HTTP status, XML body)``. Never raises.

    Authentication and the operation run in one transaction; the answer is rendered after the
    commit, from the plain values the operation returned.
    """
    request_id = runtime.ids.request_id()
    action = params.get("Action", "")
    operation = OPERATIONS.get(action)
    unsendable = [name for name, value in params.items() if _NOT_XML.search(name + value)]

    def authenticate(session: Session) -> tuple[MerchantRecord, dict[str, Any]]:
        if unsendable:
            raise InvalidParameterValue(
                f"The parameter {unsendable[0]!r} holds a character that XML cannot carry."
            )
        merchant: MerchantRecord = signing.verify(
            params,
            method=method,
            host=host,
            path=path,
            now=runtime.clock.now(),
            secret_for=secret_lookup(session),
        )
        if not action:
            raise MissingParameter("The parameter Action is required but was not supplied.")
        if operation is None:
            raise InvalidAddress(f"The action {action} is not valid for this endpoint.")
        seller = params.get("SellerId")
        if seller is not None and seller != merchant.seller_id:
            raise UnauthorizedAccess(
                f"SellerId {seller} is not the merchant of access key {merchant.access_key}."
            )
        version = params.get("Version", API_VERSION)
        if version != API_VERSION:
            raise InvalidAddress(f"Version {version} is not supported; use {API_VERSION}.")
        return merchant, load(operation.schema, params)

    def run(session: Session) -> Any:
        merchant, data = authenticate(session)
        assert operation is not None
        return operation.handler(runtime.context(session, merchant), data)

    try:
        # One transaction: a write operation's is a write transaction from the start (on SQLite
        # one writer at a time). Authenticating in a read transaction of its own first held the
        # write lock a little less long, but cost a second transaction on every request.
        result = runtime.db.run(run, write=operation is not None and operation.writes)
        body = render_result(action, result, request_id, OFFAMAZON_NAMESPACE)
    except GatewayError as error:
        return error.http_status, render_error(error.code, error.message, error.fault, request_id)
    except Exception:
        log.exception("unexpected error in %s (request %s)", action or "request", request_id)
        internal = InternalServerError(f"An internal error occurred (request {request_id}).")
        return internal.http_status, render_error(
            internal.code, internal.message, internal.fault, request_id
        )
    return 200, body
