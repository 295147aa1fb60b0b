"""Fault rules: what a merchant's next signed requests meet on purpose, decided per request. No
Flask here.

A rule (``gateway.store.models.FaultRule``) hits the calls of one Action (or any) of one service
(or any), each with a probability (or always), for its next N hits (or until deleted). Kinds:

- ``error``: the answer is an error, a documented code with its documented HTTP status
  (``ERROR_STATUSES``), in the service's own error shape (``Service.render_error``: an
  ``ErrorResponse`` for Off-Amazon Payments, FPS's ``Response/Errors``; API v2's
  ``{"reasonCode", "message"}``, ``gateway.v2.edge``). The operation does not run: as with Amazon's 500 and 503, nothing happened.
- ``latency``: the answer comes that many seconds later, fixed or uniform in a range (the wait
  is ``Runtime.sleep``, outside the request's transaction and its admission slot).
- ``close``, ``empty``, ``truncate``: a broken answer after the operation ran (so a client that
  retries must rely on idempotency): the connection closed with no answer, an empty 200, or the
  first half of the XML (API v2: of the JSON).

At most one answer rule (error or broken) and one latency rule hit a call: the oldest matching
rule of each group that fires. A seeded rule's k-th matching call draws from ``Random((seed,
k))``, the same in every process and run; an unseeded one from ``Runtime.random``. Every hit is
written to the fault log in the transaction that takes it from the rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from random import Random
from typing import Any

from sqlalchemy.orm import Session

from gateway import errors
from gateway.errors import GatewayError
from gateway.faults import log
from gateway.fps import errors as fps_errors
from gateway.store import faults as store
from gateway.store.models import FaultRule
from gateway.v2 import errors as v2_errors

REQUEST, IPN = "request", "ipn"
ERROR, LATENCY, CLOSE, EMPTY, TRUNCATE = "error", "latency", "close", "empty", "truncate"
#: The kinds of each target.
KINDS: Mapping[str, tuple[str, ...]] = {
    REQUEST: (ERROR, LATENCY, CLOSE, EMPTY, TRUNCATE),
    IPN: ("drop", "delay", "bad_signature", "bad_cert_url"),
}
#: The header of the (never sent) answer of a request whose connection a close rule shut
#: (``gateway.api.query``): an in-process caller (``gateway.testing.inprocess``), which has no
#: socket to lose, fails the request as a dropped connection when it sees it.
CLOSE_CONNECTION = "X-Sandbox-Connection-Closed"
#: Broken answers: the operation runs, its answer does not arrive whole.
BROKEN = (CLOSE, EMPTY, TRUNCATE)


def _statuses(module: Any, base: type[GatewayError]) -> dict[str, int]:
    return {
        cls.code: cls.http_status
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, base) and cls is not base
    }


#: Off-Amazon Payments' documented error codes with their HTTP statuses
#: [SRC: reference/amazon-wire.md §1.9]: those the simulator answers itself with the status it
#: answers them with (``gateway.errors``; UNCONFIRMED ones are chosen there), and the rest of the
#: tables. Sandbox-only codes of the control plane (409s) are not Amazon's, and are left out.
OFFAMAZON_ERRORS: Mapping[str, int] = {
    **{code: status for code, status in _statuses(errors, GatewayError).items() if status != 409},
    "InternalServerError": 500,
    "InternalError": 500,
    "ServiceUnavailable": 503,  # the Ruby SDK's name for a 503 (§1.9)
    "QuotaExceeded": 503,
    "InputStreamDisconnected": 400,
    "InvalidAccountStatus": 403,
    "InvalidAddressConsentToken": 404,
    # UNCONFIRMED statuses (§1.9 "?"): chosen like their neighbours in gateway.errors.
    "InvalidCancelAttempt": 400,
    "InvalidCloseAttempt": 400,
    "InvalidPaymentMethod": 400,
    "MissingAuthenticationToken": 403,
    "OrderReferenceCountExceeded": 400,
    "PaymentMethodNotAllowed": 400,
    "PaymentMethodNotUpdated": 400,
}

#: FPS's documented codes [SRC: reference/amazon-wire.md §4.4 = boto/fps/exception.py]: 400 as
#: the documented example (UNCONFIRMED for most), InternalError 500, and 503 for the AWS-wide
#: ServiceUnavailable and RequestThrottled (UNCONFIRMED for FPS).
FPS_ERRORS: Mapping[str, int] = {
    **{
        code: 400
        for code in [
            "AccessFailure",
            "AccountClosed",
            "AccountLimitsExceeded",
            "AmountOutOfRange",
            "AuthFailure",
            "ConcurrentModification",
            "DuplicateRequest",
            "InactiveInstrument",
            "IncompatibleTokens",
            "InstrumentAccessDenied",
            "InstrumentExpired",
            "InsufficientBalance",
            "InvalidAccountState",
            "InvalidAccountState_Caller",
            "InvalidAccountState_Recipient",
            "InvalidAccountState_Sender",
            "InvalidCallerReference",
            "InvalidDateRange",
            "InvalidParams",
            "InvalidPaymentInstrument",
            "InvalidPaymentMethod",
            "InvalidRecipientForCCTransaction",
            "InvalidSenderRoleForAccountType",
            "InvalidTokenId",
            "InvalidTokenId_Recipient",
            "InvalidTokenId_Sender",
            "InvalidTokenType",
            "InvalidTransactionId",
            "InvalidTransactionState",
            "NotMarketplaceApp",
            "OriginalTransactionFailed",
            "OriginalTransactionIncomplete",
            "PaymentInstrumentNotCC",
            "PaymentMethodNotDefined",
            "PrepaidFundingLimitExceeded",
            "RefundAmountExceeded",
            "SameSenderAndRecipient",
            "SameTokenIdUsedMultipleTimes",
            "SenderNotOriginalRecipient",
            "SettleAmountGreaterThanDebt",
            "SettleAmountGreaterThanReserveAmount",
            "TokenAccessDenied",
            "TokenNotActive",
            "TokenNotActive_Recipient",
            "TokenNotActive_Sender",
            "TokenUsageError",
            "TransactionDenied",
            "TransactionFullyRefundedAlready",
            "TransactionTypeNotRefundable",
            "UnverifiedAccount_Recipient",
            "UnverifiedAccount_Sender",
            "UnverifiedBankAccount",
            "UnverifiedEmailAddress_Caller",
            "UnverifiedEmailAddress_Recipient",
            "UnverifiedEmailAddress_Sender",
        ]
    },
    **_statuses(fps_errors, fps_errors.FpsError),
    "ServiceUnavailable": 503,
    "RequestThrottled": 503,
}

#: API v2's codes [SRC: reference/amazon-pay-v2.md §5], with the statuses ``gateway.v2.errors``
#: answers them with (its choices where Amazon gives none). ``InvalidRequest`` is 400 there, and
#: also the code of a wrong method (405) and a body too large (413): a rule's is 400.
V2_ERRORS: Mapping[str, int] = {
    **_statuses(v2_errors, v2_errors.V2Error),
    "InvalidRequest": 400,
}

#: API v2's name in the journal and the rules (``gateway.v2.edge.SERVICE_NAME``, which imports
#: this module).
V2_SERVICE = "AmazonPayV2"

#: Each service's codes, by ``Service.name``.
ERROR_STATUSES: Mapping[str, Mapping[str, int]] = {
    "Off-Amazon Payments": OFFAMAZON_ERRORS,
    "FPS": FPS_ERRORS,
    V2_SERVICE: V2_ERRORS,
}
SERVICES = tuple(ERROR_STATUSES)


def documented_status(code: str, service: str | None) -> int | None:
    """The HTTP status ``code`` is documented with (any service's when ``service`` is None)."""
    if service is not None:
        return ERROR_STATUSES[service].get(code)
    for statuses in ERROR_STATUSES.values():
        if code in statuses:
            return statuses[code]
    return None


def injected_error(rule: FaultRule) -> GatewayError:
    """The error ``rule`` answers, as a GatewayError of its code and status."""
    code = rule.error_code or "InternalServerError"
    status = rule.http_status or 500
    known = next(
        (
            cls
            for module in (errors, fps_errors, v2_errors)
            for cls in vars(module).values()
            if isinstance(cls, type) and issubclass(cls, GatewayError) and cls.code == code
        ),
        None,
    )
    message = known.default_message if known is not None else f"{code}."
    # A subclass per answer: ``code`` and ``http_status`` are class attributes of GatewayError.
    cls = type(code, (GatewayError,), {"code": code, "http_status": status, "fault": "Receiver"})
    error: GatewayError = cls(f"{message} (sandbox fault rule {rule.id})")
    return error


@dataclass(frozen=True)
class RequestFault:
    """What the rules did to one request."""

    #: The error to answer instead of running the operation.
    error: GatewayError | None = None
    #: close, empty or truncate: how the operation's answer is broken.
    broken: str | None = None
    #: Seconds to wait before answering.
    latency: float = 0.0
    #: What each hit did, for the request journal.
    effects: tuple[str, ...] = field(default=())

    @property
    def broken_message(self) -> str | None:
        """What the request journal says of a broken answer (None: the answer went out whole)."""
        return None if self.broken is None else "; ".join(self.effects)

    def break_answer(self, status: int, body: bytes) -> tuple[int, bytes]:
        """The answer as the client gets it (``close`` is the HTTP layer's to do)."""
        if self.broken == EMPTY:
            return 200, b""
        if self.broken == TRUNCATE:
            return status, body[: len(body) // 2]
        return status, body


#: A request no rule hit.
NO_FAULT = RequestFault()


class FaultsPending(Exception):
    """Raised out of a request's transaction when rules may hit it: they are decided in a
    transaction of their own (``decide``), and the request is then answered accordingly."""


def look_for(session: Session, merchant_id: int, service: str, action: str) -> None:
    """Raise :class:`FaultsPending` if a rule of the merchant may hit this request (one indexed
    lookup in the request's own transaction; the common answer is no)."""
    if store.any_live(session, merchant_id, REQUEST, service, action):
        raise FaultsPending()


def draw(rule: FaultRule, matched: int, rng: Random) -> Random:
    """The source of the rule's ``matched``-th call's draws (seeded: the same everywhere)."""
    return Random(f"{rule.seed}:{matched}") if rule.seed is not None else rng


def hits(session: Session, rule: FaultRule, rng: Random) -> tuple[bool, Random]:
    """Whether ``rule`` hits this call (its probability, then one of its N taken)."""
    source = draw(rule, store.count_match(session, rule.id), rng)
    if rule.probability is not None and source.random() >= rule.probability:
        return False, source
    return store.take(session, rule.id), source


def decide(
    session: Session,
    rng: Random,
    *,
    merchant_id: int,
    service: str,
    action: str,
    request_id: str,
    now: datetime,
) -> RequestFault:
    """Decide which rules hit this request, take them and log each hit (one transaction)."""
    answer: FaultRule | None = None
    latency: float = 0.0
    latency_taken = False
    effects: list[str] = []
    for rule in store.live(session, merchant_id, REQUEST, service, action):
        is_latency = rule.kind == LATENCY
        if latency_taken if is_latency else answer is not None:
            continue
        hit, source = hits(session, rule, rng)
        if not hit:
            continue
        if is_latency:
            latency_taken = True
            low = rule.seconds or 0.0
            latency = source.uniform(low, rule.max_seconds) if rule.max_seconds else low
        else:
            answer = rule
        effect = log.effect(rule, latency, body="JSON" if service == V2_SERVICE else "XML")
        effects.append(effect)
        store.log(session, log.request_event(rule, effect, service, action, request_id, now))
    if answer is None:
        return RequestFault(latency=latency, effects=tuple(effects))
    error = injected_error(answer) if answer.kind == ERROR else None
    broken = answer.kind if answer.kind in BROKEN else None
    return RequestFault(error, broken, latency, tuple(effects))
