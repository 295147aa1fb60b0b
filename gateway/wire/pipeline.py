"""One signed query request, from parameters to an XML answer, for any emulated service. No Flask.

Off-Amazon Payments (``gateway.wire.operations``) and FPS (``gateway.fps.operations``) answer the
same kind of request: SigV2-signed query parameters naming an ``Action`` and a ``Version``
[SRC: reference/amazon-wire.md §1.1-§1.3, §4.1-§4.4]. What differs is a :class:`Service`: its
operations, versions and namespace, the signature versions it accepts, its RequestId format and
its error shape. Verification, the operation and its notification rows run in one transaction,
so a request either happens completely or not at all (and is retried whole when it loses a race).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema
from sqlalchemy.orm import Session

from gateway.domain.lifecycle import Context
from gateway.domain.records import MerchantRecord
from gateway.errors import (
    GatewayError,
    SignatureDoesNotMatch,
    UnauthorizedAccess,
)
from gateway.runtime import Runtime
from gateway.signing import verify as verify_signature
from gateway.store import merchants
from gateway.wire.exchange import Exchange
from gateway.wire.params import load, refuse_unreadable
from gateway.wire.render import render_result

log = logging.getLogger(__name__)

#: An operation's work: the loaded parameters in, the Result element's content out (None: the
#: answer has no Result element).
Handler = Callable[[Runtime, Context, dict[str, Any]], Mapping[str, Any] | None]


@dataclass(frozen=True)
class Operation:
    schema: Schema
    handler: Handler
    #: Read-only operations run in a read transaction (no write lock on SQLite).
    writes: bool = True


@dataclass(frozen=True)
class Service:
    """What makes one emulated API differ from another on the wire."""

    #: For logs.
    name: str
    #: The dispatch table, by ``Action``.
    operations: Mapping[str, Operation]
    #: The ``Version`` values answered.
    versions: tuple[str, ...]
    #: The ``Version`` a request names when it names none (None: ``Version`` is required).
    default_version: str | None
    #: The error for a request whose ``Action`` is absent or not in ``operations``.
    unknown_action: Callable[[str], GatewayError]
    #: The error for a ``Version`` not in ``versions`` (``""`` when none was given).
    unsupported_version: Callable[[str], GatewayError]
    #: The answers' namespace, ``{version}`` filled in.
    namespace: str
    #: Signature versions accepted (``gateway.signing.verify``).
    signature_versions: tuple[str, ...]
    #: The service's own error for an error of the shared steps (signature, parameters).
    wire_error: Callable[[GatewayError], GatewayError]
    #: The service's error document for an error and the request's id.
    render_error: Callable[[GatewayError, str], bytes]
    #: Added to the request id in success answers.
    request_id_suffix: str = ""
    #: The parameter naming the account, checked against the signer's (None: no such parameter).
    account_parameter: str | None = None
    #: Amazon's host names for the API, accepted as the signed host whatever the Host header
    #: says (``gateway.signing.signing_hosts``).
    published_hosts: tuple[str, ...] = ()
    #: Where the live (production) endpoint's paths start; other paths are the sandbox's
    #: (None: the service has one endpoint).
    live_path_prefix: str | None = None

    def is_live(self, path: str) -> bool:
        """Whether ``path`` is the live endpoint, where production's timings apply."""
        return self.live_path_prefix is not None and path.startswith(self.live_path_prefix)

    def error_answer(self, error: GatewayError, request_id: str) -> tuple[int, bytes]:
        """``(HTTP status, body)`` of ``error`` in this service's shape."""
        answer = self.wire_error(error)
        return answer.http_status, self.render_error(answer, request_id)


def secret_lookup(session: Session) -> Callable[[str], tuple[MerchantRecord, str] | None]:
    def secret_for(access_key: str) -> tuple[MerchantRecord, str] | None:
        merchant = merchants.by_access_key(session, access_key)
        return None if merchant is None else (merchant, merchant.secret_key)

    return secret_for


def handle(
    runtime: Runtime,
    service: Service,
    *,
    method: str,
    host: str,
    scheme: str,
    path: str,
    params: Mapping[str, str],
) -> tuple[int, bytes]:
    """Answer one request: ``(HTTP status, XML body)``. Never raises.

    Authentication and the operation run in one transaction; the answer is rendered after the
    commit, from the plain values the operation returned.
    """
    exchange = Exchange(runtime, service.name)
    request_id = exchange.request_id
    action = params.get("Action", "")
    operation = service.operations.get(action)

    def authenticate(session: Session) -> tuple[Operation, str, MerchantRecord, dict[str, Any]]:
        refuse_unreadable(params)
        lookup = secret_lookup(session)

        def secret_for(access_key: str) -> tuple[MerchantRecord, str] | None:
            found = lookup(access_key)
            exchange.merchant_id = None if found is None else found[0].id
            return found

        merchant: MerchantRecord = verify_signature(
            params,
            method=method,
            host=host,
            scheme=scheme,
            path=path,
            now=runtime.clock.now(),
            secret_for=secret_for,
            signature_versions=service.signature_versions,
            published_hosts=service.published_hosts,
        )
        if operation is None:
            raise service.unknown_action(action)
        account = params.get(service.account_parameter) if service.account_parameter else None
        if account is not None and account != merchant.seller_id:
            raise UnauthorizedAccess(
                f"{service.account_parameter} {account} is not the merchant of access key "
                f"{merchant.access_key}."
            )
        version = params.get("Version", service.default_version or "")
        if version not in service.versions:
            raise service.unsupported_version(version)
        return operation, version, merchant, load(operation.schema, params)

    def run(session: Session) -> tuple[Mapping[str, Any] | None, str]:
        op, version, merchant, data = authenticate(session)
        ctx = runtime.context(session, merchant, live=service.is_live(path))
        return op.handler(runtime, ctx, data), version

    def journaled(
        status: int,
        code: str | None = None,
        message: str | None = None,
        string_to_sign: str | None = None,
    ) -> None:
        if exchange.merchant_id is None and code is not None and params.get("AWSAccessKeyId"):
            # Refused before its access key was looked up (an expired Timestamp ...).
            exchange.merchant_id = _owner_of(runtime, params["AWSAccessKeyId"])
        exchange.journal(params, status, code, message, string_to_sign)

    try:
        # One transaction: a write operation's is a write transaction from the start (on SQLite
        # one writer at a time). Authenticating in a read transaction of its own first held the
        # write lock a little less long, but cost a second transaction on every request.
        result, version = runtime.db.run(run, write=operation is not None and operation.writes)
        namespace = service.namespace.format(version=version)
        answer = render_result(action, result, request_id + service.request_id_suffix, namespace)
        journaled(200)
        return 200, answer
    except GatewayError as error:
        wire = service.wire_error(error)
        mismatch = error.string_to_sign if isinstance(error, SignatureDoesNotMatch) else None
        journaled(wire.http_status, wire.code, wire.message, mismatch)
        return service.error_answer(error, request_id)
    except Exception:
        internal = exchange.internal_error(action or "request")
        journaled(internal.http_status, internal.code, internal.message)
        return service.error_answer(internal, request_id)


def _owner_of(runtime: Runtime, access_key: str) -> int | None:
    try:
        found = runtime.db.run(lambda s: merchants.by_access_key(s, access_key), write=False)
    except Exception:
        log.exception("could not look up the owner of access key %s", access_key)
        return None
    return None if found is None else found.id
