"""One API v2 request, from HTTP method, path, headers and body to a JSON answer. No Flask here.

Order of the steps, each with Amazon's error where it fails [SRC: reference/amazon-pay-v2.md §1,
§4, §5]:

1. the base (``/sandbox/v2/``, ``/live/v2/``, ``/v2/``) and the operation at the path
   (ResourceNotFound 404, or 405 naming the methods the path takes);
2. the headers every signed request carries: ``authorization``, ``x-amz-pay-date`` (either
   SDK's format, within :data:`DATE_WINDOW` of real time), ``x-amz-pay-host`` (the host the
   request reached, with or without its port, or one of Amazon's), ``x-amz-pay-region``; all
   three ``x-amz-pay-`` headers signed (MissingHeader, MissingHeaderValue, InvalidHeaderValue);
3. in one transaction (``Database.run``, retried whole when it loses a race): the public key
   id's key and merchant (InvalidAuthentication), the environment of the key against the base's
   (``SANDBOX-``/``LIVE-`` keys name it on ``/v2/``), the signature over the canonical request
   rebuilt from the request's own ``SignedHeaders`` by ``clients.amazon_pay_v2.signing``, the
   code the client toolkit signs with (InvalidRequestSignature, whose message holds the string
   to sign and the canonical request the server computed), the JSON body read strictly and
   loaded by the operation's schema (InvalidRequestFormat, UnrecognizedField,
   MissingParameterValue, InvalidParameterValue), the idempotency key (``gateway.v2.idempotency``),
   and the handler at the merchant's clock with ``live`` from the environment;
4. the answer: the handler's status and JSON, or the error's ``{"reasonCode", "message"}``, with
   ``x-amz-pay-request-id``; the request goes into the journal (``gateway.wire.exchange``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

from marshmallow import ValidationError
from sqlalchemy.orm import Session

from clients.amazon_pay_v2 import signing
from gateway import strict_json
from gateway.amazon_hosts import PAY_API_HOSTS
from gateway.errors import GatewayError
from gateway.faults import rules as fault_rules
from gateway.faults import throttling
from gateway.runtime import Runtime
from gateway.store import merchants
from gateway.v2 import idempotency, keys
from gateway.v2.calls import V2Answer, V2Call
from gateway.v2.errors import (
    InvalidAuthentication,
    InvalidHeaderValue,
    InvalidParameterValue,
    InvalidRequest,
    InvalidRequestFormat,
    InvalidRequestSignature,
    MissingHeader,
    MissingHeaderValue,
    MissingParameterValue,
    ResourceNotFound,
    UnauthorizedAccess,
    UnrecognizedField,
    V2Error,
    from_fault_rule,
    from_gateway_error,
)
from gateway.v2.operations import OPERATIONS, Operation, OperationTable
from gateway.v2.quotas import V2_QUOTAS
from gateway.values import first_unreadable
from gateway.wire.exchange import Exchange

log = logging.getLogger(__name__)

#: The service's name in the journal, logs and fault rules.
SERVICE_NAME = fault_rules.V2_SERVICE
#: The bases of the API and the environment each names (None: the public key id's).
BASES: tuple[tuple[str, str | None], ...] = (
    ("/sandbox/v2/", "sandbox"),
    ("/live/v2/", "live"),
    ("/v2/", None),
)
#: How far ``x-amz-pay-date`` may be from real time. UNCONFIRMED: Amazon documents no window;
#: 15 minutes either way, as AWS signatures and the v1 API's Timestamp (gateway.signing). Real
#: time, not the merchant's simulated clock: Amazon's servers know nothing of it.
DATE_WINDOW = timedelta(minutes=15)
#: ``x-amz-pay-region`` values the SDKs send (Node constants.js REGION_MAP, its keys and values;
#: Amazon's signing example shows ``us``).
REGIONS = frozenset({"na", "us", "eu", "de", "uk", "jp"})
#: Headers every request must carry and sign (reference §4).
REQUIRED_SIGNED = ("x-amz-pay-date", "x-amz-pay-host", "x-amz-pay-region")
SIMULATION_HEADER = "x-amz-pay-simulation-code"
#: The most characters of a request body the journal keeps.
JOURNAL_BODY_CHARACTERS = 4096


@dataclass(frozen=True)
class V2Request:
    """An API v2 request as received."""

    method: str
    #: The path, percent-decoded.
    path: str
    #: The path as it came over the wire (what a client signed), when the server tells it.
    raw_path: str
    #: The raw query string (without ``?``).
    query: str
    headers: Sequence[tuple[str, str]]
    body: bytes
    #: The Host header.
    host: str


@dataclass(frozen=True)
class V2Response:
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    #: Seconds to wait before answering (a latency fault rule, ``gateway.faults.rules``).
    delay: float = 0.0
    #: Close the connection instead of answering (a close fault rule).
    close: bool = False


@dataclass(frozen=True)
class _Signed:
    """What the checks before the transaction found."""

    operation: Operation
    path_params: dict[str, str]
    environment: str | None
    expected: signing.ExpectedSignature
    headers: Mapping[str, str]


def split_base(path: str) -> tuple[str, str | None, str]:
    """``(base, environment, rest)`` of a path under one of :data:`BASES`."""
    for base, environment in BASES:
        if path.startswith(base):
            return base, environment, path[len(base) :]
    raise ResourceNotFound(f"The path {path} is not an Amazon Pay API v2 address.")


def is_v2_path(path: str) -> bool:
    """Whether ``path`` belongs to API v2 (its errors are v2 JSON): a base or below one."""
    return any(path.startswith(base) or path == base.rstrip("/") for base, _ in BASES)


def handle(
    runtime: Runtime, request: V2Request, operations: OperationTable = OPERATIONS
) -> V2Response:
    """Answer one request. Never raises.

    Fault rules the merchant set (``gateway.faults.rules``, service :data:`SERVICE_NAME`, the
    operation's name as the Action) are looked for in the request's transaction once it is
    authenticated, as on the signed-query pipeline (``gateway.wire.pipeline``): when one may
    hit, they are decided (and logged) in a transaction of their own, and the request runs
    again, or not at all for an error rule.
    """
    exchange = Exchange(runtime, SERVICE_NAME)
    journal_params: dict[str, str] = {"Method": request.method, "Path": request.path}
    if request.query:
        journal_params["Query"] = request.query
    if request.body:
        journal_params["Body"] = request.body[:JOURNAL_BODY_CHARACTERS].decode("utf-8", "replace")
    fault = fault_rules.NO_FAULT
    try:
        signed = _check_request(runtime, request, operations, journal_params)
        op = signed.operation

        def attempt(faults_decided: bool) -> tuple[int, bytes]:
            # The answer is encoded inside the transaction: one that cannot be sent is an error
            # before anything is committed, never a change without its answer.
            def run(session: Session, write: bool) -> tuple[int, bytes]:
                answer = _run(runtime, session, request, signed, exchange, write, faults_decided)
                return _encoded(answer)

            try:
                return runtime.db.run(partial(run, write=op.writes), write=op.writes)
            except _WriteNeeded:
                # A read of a throttled merchant: again, in a write transaction.
                return runtime.db.run(partial(run, write=True))

        try:
            status, body = attempt(faults_decided=False)
        except fault_rules.FaultsPending:
            # Raised only once the request is authenticated: its merchant is known.
            assert exchange.merchant_id is not None
            fault = runtime.db.run(
                partial(
                    fault_rules.decide,
                    rng=runtime.random,
                    merchant_id=exchange.merchant_id,
                    service=SERVICE_NAME,
                    action=op.name,
                    request_id=exchange.request_id,
                    now=exchange.received_at,
                )
            )
            if fault.error is not None:
                injected = from_fault_rule(fault.error)
                exchange.journal(
                    journal_params, injected.http_status, injected.code, injected.message
                )
                return _faulted(fault, _error_response(exchange, injected))
            status, body = attempt(faults_decided=True)
        answer = _faulted(fault, V2Response(status, body, _headers(exchange)))
        exchange.journal(journal_params, answer.status, None, fault.broken_message)
        return answer
    except GatewayError as error:
        wire = from_gateway_error(error)
        if exchange.merchant_id is None and "PublicKeyId" in journal_params:
            # Refused before its key was looked up (a stale x-amz-pay-date ...): still the
            # journal of the merchant the key names, where its developer looks.
            exchange.merchant_id = _owner_of(runtime, journal_params["PublicKeyId"])
        exchange.journal(
            journal_params, wire.http_status, wire.code, wire.message, wire.string_to_sign
        )
        return _faulted(fault, _error_response(exchange, wire))
    except Exception:
        internal = from_gateway_error(exchange.internal_error(journal_params.get("Action", "")))
        exchange.journal(journal_params, internal.http_status, internal.code, internal.message)
        return _error_response(exchange, internal)


def _faulted(fault: fault_rules.RequestFault, answer: V2Response) -> V2Response:
    """``answer`` as the fault rules that hit its request leave it: broken, late, or closed."""
    status, body = fault.break_answer(answer.status, answer.body)
    return V2Response(
        status, body, answer.headers, fault.latency, fault.broken == fault_rules.CLOSE
    )


def _owner_of(runtime: Runtime, public_key_id: str) -> int | None:
    try:
        found = runtime.db.run(lambda session: keys.lookup(session, public_key_id), write=False)
    except Exception:
        log.exception("could not look up the owner of public key id %s", public_key_id)
        return None
    return None if found is None else found.merchant_id


def _encoded(answer: V2Answer) -> tuple[int, bytes]:
    return answer.status, json.dumps(answer.body).encode("utf-8")


def error_response(runtime: Runtime, error: GatewayError) -> V2Response:
    """``error`` answered in v2's shape outside :func:`handle` (``gateway.api.http_errors``)."""
    return _error_response(Exchange(runtime, SERVICE_NAME), from_gateway_error(error))


def _headers(exchange: Exchange) -> dict[str, str]:
    # Amazon's answers carry their request id in this header (the SDKs expose the headers).
    return {"x-amz-pay-request-id": exchange.request_id}


def _error_response(exchange: Exchange, error: V2Error) -> V2Response:
    headers = _headers(exchange)
    if error.allowed:
        headers["Allow"] = ", ".join(error.allowed)
    return V2Response(error.http_status, json.dumps(error.body()).encode("utf-8"), headers)


def _header_map(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in headers:
        lowered = name.lower()
        # A header sent twice is one header with both values (RFC 9110 §5.3).
        found[lowered] = f"{found[lowered]},{value}" if lowered in found else value
    return found


def _check_request(
    runtime: Runtime,
    request: V2Request,
    operations: OperationTable,
    journal_params: dict[str, str],
) -> _Signed:
    """Steps 1 and 2: everything that needs no database."""
    _, environment, rest = split_base(request.path)
    op, path_params = operations.match(request.method, rest)
    journal_params["Action"] = op.name
    unreadable = first_unreadable({**path_params, **dict(signing.query_pairs(request.query))})
    if unreadable is not None:
        # An id or query value no object can have (PostgreSQL's text cannot even hold a NUL).
        raise InvalidParameterValue(f"The value of {unreadable[0]} {unreadable[1]}.")
    headers = _header_map(request.headers)
    if "authorization" not in headers:
        raise MissingHeader("The header authorization is missing.")
    try:
        expected = signing.expected_signature(
            request.method, request.raw_path, request.query, headers, request.body
        )
    except signing.SignatureError as error:
        raise _signature_header_error(error) from None
    journal_params["PublicKeyId"] = expected.authorization.public_key_id
    signed_names = {name.strip().lower() for name in expected.authorization.header_names}
    for name in REQUIRED_SIGNED:
        if name not in headers:
            raise MissingHeader(f"The header {name} is missing.")
        if not headers[name].strip():
            raise MissingHeaderValue(f"The header {name} has no value.")
        if name not in signed_names:
            raise InvalidHeaderValue(
                f"The header {name} must be signed: add it to SignedHeaders of the authorization."
            )
    _check_date(runtime, headers["x-amz-pay-date"])
    _check_host(headers["x-amz-pay-host"], request.host)
    region = headers["x-amz-pay-region"].strip()
    if region.lower() not in REGIONS:
        raise InvalidHeaderValue(
            f"The value {region!r} of x-amz-pay-region is invalid: use one of "
            f"{', '.join(sorted(REGIONS))}."
        )
    return _Signed(op, path_params, environment, expected, headers)


def _signature_header_error(error: signing.SignatureError) -> V2Error:
    if error.reason == "missing_authorization":
        return MissingHeaderValue("The header authorization has no value.")
    if error.reason == "unsupported_algorithm":
        return InvalidHeaderValue(
            f"The signature algorithm {error.detail} of the authorization header is not "
            f"supported: use {' or '.join(signing.ALGORITHMS)}."
        )
    if error.reason == "missing_signed_header":
        return MissingHeader(f"A signed header is missing: {error.detail}.")
    return InvalidHeaderValue(f"The authorization header is malformed: {error.detail}.")


def _check_date(runtime: Runtime, value: str) -> None:
    try:
        sent = signing.parse_pay_date(value)
    except ValueError:
        raise InvalidHeaderValue(
            f"The value {value!r} of x-amz-pay-date is invalid: write 20240101T120000Z or "
            "2024-01-01T12:00:00Z (UTC)."
        ) from None
    now = runtime.clock.now()
    if abs(sent - now) > DATE_WINDOW:
        minutes = int(DATE_WINDOW.total_seconds() // 60)
        raise InvalidHeaderValue(
            f"The x-amz-pay-date {value} is more than {minutes} minutes from the server time "
            f"{signing.pay_date(now)}."
        )


def _check_host(pay_host: str, request_host: str) -> None:
    if signing.same_host(pay_host, request_host) or any(
        signing.same_host(pay_host, published) for published in PAY_API_HOSTS
    ):
        return
    raise InvalidHeaderValue(
        f"The x-amz-pay-host {pay_host} is not the host the request was sent to ({request_host})."
    )


class _WriteNeeded(Exception):
    """A read-only operation's request needs a write transaction (its merchant is throttled)."""


def _run(
    runtime: Runtime,
    session: Session,
    request: V2Request,
    signed: _Signed,
    exchange: Exchange,
    write: bool,
    faults_decided: bool = True,
) -> V2Answer:
    """Step 3, in the request's transaction (``faults_decided`` False: raise
    ``FaultsPending`` when a fault rule may hit the request, once it is authenticated)."""
    op = signed.operation
    auth = signed.expected.authorization
    found = keys.lookup(session, auth.public_key_id)
    if found is None:
        raise InvalidAuthentication(
            f"The public key id {auth.public_key_id} is not registered: make a key with "
            "`gateway v2-keys create` (or the control API's v2-keys)."
        )
    exchange.merchant_id = found.merchant_id
    live = _environment(signed.environment, found, auth.public_key_id) == "live"
    try:
        signing.verify_expected(found.public_key_pem, signed.expected)
    except signing.SignatureError as error:
        mismatch = InvalidRequestSignature(
            f"Unable to verify signature, signing String [{error.string_to_sign}] , "
            f"signature [{auth.signature}]. The canonical request the server computed from "
            f"the request's SignedHeaders was [{error.canonical_request}]; it was verified "
            f"with the public key of {auth.public_key_id} ({auth.algorithm})."
        )
        mismatch.string_to_sign = error.string_to_sign
        raise mismatch from None
    if not faults_decided:
        fault_rules.look_for(session, found.merchant_id, SERVICE_NAME, op.name)
    merchant = merchants.one_by_id(session, found.merchant_id)
    ctx = runtime.context(session, merchant, live=live)
    if merchant.throttling != throttling.OFF:
        # Amazon's v2 quotas, once the signature is good and before the body is read, as for
        # the signed-query services (gateway.wire.pipeline).
        if not write:
            # The bucket is a row to change: SQLite wants a write transaction from the start.
            raise _WriteNeeded
        throttling.admit(session, merchant.id, merchant.throttling, V2_QUOTAS, op.quota, ctx.now)
    body = _load_body(op, request, signed.headers)
    key = signed.headers.get(idempotency.HEADER)
    if op.requires_idempotency_key:
        if key is None:
            raise MissingHeader(f"The header {idempotency.HEADER} is required by {op.name}.")
        if not key.strip():
            raise MissingHeaderValue(f"The header {idempotency.HEADER} has no value.")
        key = idempotency.check_key(key.strip())
    else:
        key = None  # only the operations that require a key honour one
    call = V2Call(
        path_params=signed.path_params,
        body=body,
        query=dict(signing.query_pairs(request.query)),
        idempotency_key=key,
        simulation_code=signed.headers.get(SIMULATION_HEADER),
    )
    if key is None:
        return op.handler(runtime, ctx, call)
    printed = idempotency.request_print(signed.path_params, body)
    first = idempotency.replayed(session, merchant.id, op.name, key, printed)
    if first is not None:
        return first
    answer = op.handler(runtime, ctx, call)
    idempotency.remember(session, merchant.id, op.name, key, printed, answer, ctx.now)
    return answer


def _environment(base: str | None, found: keys.KeyLookup, public_key_id: str) -> str:
    """The environment a request runs in: the base's, which an environment-specific key must
    match; on ``/v2/`` the key's."""
    if base is None:
        if found.environment is None:
            # UNCONFIRMED: Amazon's answer; the SDKs never send a neutral key to /v2/.
            raise InvalidRequest(
                f"The public key id {public_key_id} names no environment: call /sandbox/v2/ or "
                "/live/v2/ with it, or use a SANDBOX- or LIVE- key on /v2/."
            )
        return found.environment
    if found.environment is not None and found.environment != base:
        # UNCONFIRMED: Amazon's code and status for a key of the other environment.
        raise UnauthorizedAccess(
            f"The public key id {public_key_id} is a {found.environment} key; it cannot call "
            f"the {base} API."
        )
    return base


def _load_body(op: Operation, request: V2Request, headers: Mapping[str, str]) -> dict[str, Any]:
    """The JSON body, read strictly and loaded by the operation's schema."""
    if not request.body.strip():
        document: Any = {}
    else:
        content_type = headers.get("content-type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            # UNCONFIRMED: Amazon's answer to another content type; every SDK sends this one.
            raise InvalidHeaderValue(
                f"The content-type {content_type or '(none)'} is not accepted: send the body as "
                "application/json."
            )
        try:
            document = strict_json.loads(request.body)
        except ValueError as exc:
            raise InvalidRequestFormat(f"The request body is not valid JSON: {exc}.") from None
        if not isinstance(document, dict):
            raise InvalidRequestFormat("The request body must be a JSON object.")
    if op.schema is None:
        if document:
            raise UnrecognizedField(
                f"{op.name} takes no request body; remove the fields {', '.join(sorted(document))}."
            )
        return {}
    try:
        loaded: dict[str, Any] = op.schema.load(document)
    except ValidationError as error:
        details = error.normalized_messages()  # type: ignore[no-untyped-call]
        raise _validation_error(details) from None
    return loaded


def _validation_error(messages: Mapping[str, Any]) -> V2Error:
    """The v2 error for marshmallow's messages: the first field's, by kind."""
    path, message = _first_message(messages)
    if message == "Unknown field.":
        return UnrecognizedField(f"The field {path} is not recognized.")
    if message == "Missing data for required field.":
        return MissingParameterValue(f"The parameter {path} is required.")
    return InvalidParameterValue(f"The value provided for {path} is invalid: {message}")


def _first_message(messages: Any, prefix: str = "") -> tuple[str, str]:
    if isinstance(messages, Mapping):
        name = sorted(messages, key=str)[0]
        label = f"{prefix}.{name}" if prefix else str(name)
        if name == "_schema":
            label = prefix or "body"
        return _first_message(messages[name], label)
    if isinstance(messages, list) and messages:
        return _first_message(messages[0], prefix)
    return prefix, str(messages)
