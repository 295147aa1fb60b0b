"""Sandbox API for IPNs: the signing certificate, each merchant's notifications, redelivery, and
a wait for an object to reach a state (JSON under ``/sandbox/api/v1``)."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.api.sandbox import (
    ControlError,
    control_api,
    jsonable,
    merchant_or_404,
    row_id,
    runtime,
)
from gateway.domain.merchants import now_for
from gateway.ipn.envelope import CERTIFICATE_PATH
from gateway.ipn.keys import KEY_FILE
from gateway.ipn.redelivery import NotificationInFlight
from gateway.ipn.redelivery import redeliver as redeliver_notification
from gateway.ipn.waiting import find_object, reached
from gateway.store.models import Notification, NotificationAttempt, NotificationMessage

bp = Blueprint("notifications", __name__)
control_api(bp)

MERCHANT = "/sandbox/api/v1/merchants/<seller_id>"
NOTIFICATION = f"{MERCHANT}/notifications/{row_id('notification_id', Notification.id)}"
#: Where ``gateway ipn-check`` fetches the key (``clients.ipn_check.SIGNING_KEY_PATH``: clients/
#: does not import the server, and this module does not load clients' cryptography).
SIGNING_KEY_PATH = "/sandbox/api/v1/ipn/signing-key"
#: The wait endpoint's timeout in seconds: default and most.
WAIT_DEFAULT, WAIT_MAX = 10.0, 60.0
#: How often a waiter re-checks when no delivery of this process wakes it (the scheduler may
#: run in another process).
WAIT_RECHECK = 0.2
LIST_LIMIT = 1000


@bp.get(CERTIFICATE_PATH)
def certificate() -> ResponseReturnValue:
    """The certificate behind every IPN's ``SigningCertURL`` (read without loading cryptography:
    a web worker never signs an IPN)."""
    pem = runtime().certificate_pem
    return Response(pem, mimetype="application/x-pem-file")


@bp.get(SIGNING_KEY_PATH)
def ipn_signing_key() -> ResponseReturnValue:
    """The IPN signing key (private key and certificate, PEM) and the ``SigningCertURL`` IPNs
    carry, so that ``gateway ipn-check`` signs test IPNs exactly as this sandbox signs its own,
    from any folder. A sandbox secret only: it signs nothing outside this simulator."""
    rt = runtime()
    return jsonify(
        key_pem=(rt.settings.data_dir / KEY_FILE).read_text(encoding="ascii"),
        signing_cert_url=rt.settings.resolved_public_url + CERTIFICATE_PATH,
    )


def attempt_json(attempt: NotificationAttempt) -> dict[str, Any]:
    result: dict[str, Any] = jsonable(
        {
            "attempted_at": attempt.attempted_at,
            "url": attempt.url,
            "status_code": attempt.status_code,
            "latency_ms": attempt.latency_ms,
            "outcome": attempt.outcome,
            "error": attempt.error,
            "response_snippet": attempt.response_snippet,
        }
    )
    return result


def notification_json(
    session: Session, row: Notification, *, with_request: bool = False
) -> dict[str, Any]:
    attempts = session.scalars(
        select(NotificationAttempt)
        .where(NotificationAttempt.notification_id == row.id)
        .order_by(NotificationAttempt.id.desc())
    )
    message = session.scalar(
        select(NotificationMessage).where(NotificationMessage.notification_id == row.id)
    )
    result: dict[str, Any] = jsonable(
        {
            "id": row.id,
            "notification_type": row.notification_type,
            "object_kind": row.object_kind,
            "object_id": row.object_id,
            "state": row.state,
            "reason_code": row.reason_code,
            "changed_at": row.changed_at,
            "delivery_state": row.delivery_state,
            "attempt_count": row.attempt_count,
            "next_attempt_at": row.next_attempt_at,
            "acknowledged_at": row.acknowledged_at,
            "message_id": message.message_id if message else None,
        }
    )
    result["attempts"] = [attempt_json(a) for a in attempts]
    if with_request:
        # The exact request every attempt posts (null until the first attempt renders it).
        result["request"] = (
            {"headers": message.headers, "body": message.body} if message is not None else None
        )
    return result


def _notification_or_404(session: Session, seller_id: str, notification_id: int) -> Notification:
    merchant = merchant_or_404(session, seller_id)
    row = session.get(Notification, notification_id)
    if row is None or row.merchant_id != merchant.id:
        raise ControlError(404, "NotificationNotFound", f"No notification {notification_id}.")
    return row


@bp.get(f"{MERCHANT}/notifications")
def list_notifications(seller_id: str) -> ResponseReturnValue:
    """Newest first; ``?object_id=`` and ``?type=`` (NotificationType) filter, ``?limit=``."""
    limit = request.args.get("limit", default=100, type=int) or 100
    if not 1 <= limit <= LIST_LIMIT:
        raise ControlError(400, "InvalidLimit", f"limit must be 1 to {LIST_LIMIT}.")

    def work(session: Session) -> list[dict[str, Any]]:
        merchant = merchant_or_404(session, seller_id)
        query = select(Notification).where(Notification.merchant_id == merchant.id)
        if request.args.get("object_id"):
            query = query.where(Notification.object_id == request.args["object_id"])
        if request.args.get("type"):
            query = query.where(Notification.notification_type == request.args["type"])
        rows = session.scalars(query.order_by(Notification.id.desc()).limit(limit))
        return [notification_json(session, row) for row in rows]

    return jsonify(notifications=runtime().db.run(work, write=False))


@bp.get(NOTIFICATION)
def show_notification(seller_id: str, notification_id: int) -> ResponseReturnValue:
    def work(session: Session) -> dict[str, Any]:
        row = _notification_or_404(session, seller_id, notification_id)
        return notification_json(session, row, with_request=True)

    return jsonify(runtime().db.run(work, write=False))


@bp.post(f"{NOTIFICATION}/redeliver")
def redeliver(seller_id: str, notification_id: int) -> ResponseReturnValue:
    """Queue a new delivery of the same message now; the next sweep posts it (202)."""
    rt = runtime()

    def work(session: Session) -> dict[str, Any]:
        row = _notification_or_404(session, seller_id, notification_id)
        merchant = merchant_or_404(session, seller_id)
        try:
            base = rt.clock.now()
            redeliver_notification(session, row, now_for(merchant, base), base)
        except NotificationInFlight as exc:
            raise ControlError(409, "NotificationInFlight", str(exc)) from None
        session.flush()
        return notification_json(session, row)

    return jsonify(rt.db.run(work)), 202


def _wait_args() -> tuple[str, str, bool, float]:
    object_id, state = request.args.get("object_id"), request.args.get("state")
    if not object_id or not state:
        raise ControlError(400, "MissingParameter", "object_id and state are required.")
    acknowledged = request.args.get("acknowledged", "false").lower() in ("1", "true", "yes")
    try:
        timeout = float(request.args.get("timeout", WAIT_DEFAULT))
    except ValueError:
        raise ControlError(400, "InvalidTimeout", "timeout must be a number.") from None
    if not 0 <= timeout <= WAIT_MAX:
        raise ControlError(400, "InvalidTimeout", f"timeout must be 0 to {WAIT_MAX:g} seconds.")
    return object_id, state, acknowledged, timeout


@bp.get(f"{MERCHANT}/wait")
def wait(seller_id: str) -> ResponseReturnValue:
    """Block until ``object_id`` has reached ``state`` (and, with ``acknowledged=true``, a
    notification of it in that state got a 2xx); 200 with the object, 408 at the timeout."""
    object_id, state, acknowledged, timeout = _wait_args()
    rt = runtime()
    deadline = time.monotonic() + timeout

    def check(session: Session) -> dict[str, Any] | None:
        merchant = merchant_or_404(session, seller_id)
        found = find_object(rt.registry, session, merchant, object_id)
        if found is None:
            raise ControlError(404, "ObjectNotFound", f"No object {object_id}.")
        if not reached(session, found, state, acknowledged):
            return None
        reached_json: dict[str, Any] = jsonable(
            {
                "object_kind": found.kind,
                "object_id": object_id,
                "state": found.obj.state,
                "details": found.details(),
            }
        )
        return reached_json

    while True:
        result = rt.db.run(check, write=False)
        if result is not None:
            return jsonify(result)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ControlError(
                408, "WaitTimeout", f"{object_id} did not reach {state} within {timeout:g} s."
            )
        # Woken early when this process settles a delivery; otherwise re-check shortly. Only a
        # process that delivers IPNs has a dispatcher: others (gunicorn's workers, whose
        # deliveries are made by `gateway worker`) just sleep, without loading delivery.
        pool = rt.started_dispatcher
        if pool is None:
            time.sleep(min(WAIT_RECHECK, remaining))
        else:
            pool.wait_for_change(min(WAIT_RECHECK, remaining))
