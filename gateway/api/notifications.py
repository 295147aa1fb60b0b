"""Sandbox API for IPNs: the signing certificate, each merchant's notifications, redelivery, and
a wait for an object to reach a state (JSON under ``/sandbox/api/v1``)."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy.orm import Session

from gateway.api.sandbox import (
    ControlError,
    NoBodySchema,
    PageQuerySchema,
    body,
    control_api,
    jsonable,
    merchant_or_404,
    next_cursor,
    paged,
    query,
    row_id,
    runtime,
)
from gateway.domain.merchants import now_for
from gateway.ipn.envelope import CERTIFICATE_PATH
from gateway.ipn.keys import KEY_FILE
from gateway.ipn.leases import DeliveryState
from gateway.ipn.redelivery import NotificationInFlight
from gateway.ipn.redelivery import redeliver as redeliver_notification
from gateway.ipn.waiting import find_object, reached
from gateway.store import listings
from gateway.store.listings import NotificationEntry
from gateway.store.models import Notification, NotificationAttempt
from gateway.values import Text

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


# --- schemas -------------------------------------------------------------------------------------


class SigningKeySchema(Schema):
    key_pem = fields.String(required=True, metadata={"description": "Private key and certificate."})
    signing_cert_url = fields.String(required=True)


class AttemptSchema(Schema):
    attempted_at = fields.DateTime(required=True)
    url = fields.String(required=True)
    status_code = fields.Integer()
    latency_ms = fields.Integer(required=True)
    outcome = fields.String(required=True)
    error = fields.String()
    response_snippet = fields.String()


class NotificationRequestSchema(Schema):
    headers = fields.Dict(required=True)
    body = fields.String(required=True)


class NotificationSchema(Schema):
    id = fields.Integer(required=True)
    notification_type = fields.String(required=True)
    object_kind = fields.String(required=True)
    object_id = fields.String(required=True)
    state = fields.String(required=True)
    reason_code = fields.String()
    changed_at = fields.DateTime(required=True)
    delivery_state = fields.String(required=True)
    attempt_count = fields.Integer(required=True)
    next_attempt_at = fields.DateTime()
    acknowledged_at = fields.DateTime()
    message_id = fields.String()
    attempts = fields.List(fields.Nested(AttemptSchema), required=True)


class NotificationDetailSchema(NotificationSchema):
    request = fields.Nested(
        NotificationRequestSchema,
        required=True,
        allow_none=True,
        metadata={"description": "What every attempt posts; null until the first attempt."},
    )


class NotificationPageSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema), required=True)
    next = next_cursor()


class NotificationListQuerySchema(PageQuerySchema):
    delivery_state = fields.List(
        fields.String(validate=validate.OneOf([s.value for s in DeliveryState])),
        validate=validate.Length(max=len(DeliveryState)),
        metadata={"description": "Only in these delivery states (repeat for several)."},
    )
    type = Text(
        column=Notification.notification_type,
        metadata={"description": "NotificationType, e.g. PaymentRefund."},
    )
    object_id = Text(
        column=Notification.object_id, metadata={"description": "Only of this object."}
    )


class WaitQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    object_id = Text(
        column=Notification.object_id,
        min_length=1,
        required=True,
        metadata={
            "description": "Amazon id of an order reference, authorization, capture, refund, dispute or FPS transaction."
        },
    )
    state = Text(
        column=Notification.state, required=True, metadata={"description": "The state to wait for."}
    )
    acknowledged = fields.Boolean(
        load_default=False,
        metadata={"description": "Also wait for a notification of it in that state to get a 2xx."},
    )
    timeout = fields.Float(
        load_default=WAIT_DEFAULT,
        validate=validate.Range(0, WAIT_MAX),
        metadata={"description": f"Seconds to wait (default {WAIT_DEFAULT:g}, most {WAIT_MAX:g})."},
    )


class ReachedSchema(Schema):
    object_kind = fields.String(required=True)
    object_id = fields.String(required=True)
    state = fields.String(required=True)
    details = fields.Dict(required=True)


@bp.get(CERTIFICATE_PATH)
def certificate() -> ResponseReturnValue:
    """The certificate behind every IPN's ``SigningCertURL`` (read without loading cryptography:
    a web worker never signs an IPN). Outside ``/sandbox/api/v1``: receivers fetch it without a
    token."""
    pem = runtime().certificate_pem
    return Response(pem, mimetype="application/x-pem-file")


@bp.get(SIGNING_KEY_PATH)
def ipn_signing_key() -> ResponseReturnValue:
    """The IPN signing key and the SigningCertURL IPNs carry.

    For `gateway ipn-check`, which signs test IPNs exactly as this sandbox signs its own. A
    sandbox secret (it signs nothing outside this simulator): admin token only.
    ---
    tags: [notifications]
    responses:
      200:
        description: The key (private key and certificate, PEM) and the certificate's URL.
        content:
          application/json:
            schema: SigningKeySchema
    """
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


def notification_json(entry: NotificationEntry, *, with_request: bool = False) -> dict[str, Any]:
    row, message = entry.notification, entry.message
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
    result["attempts"] = [attempt_json(a) for a in entry.attempts]
    if with_request:
        # The exact request every attempt posts (null until the first attempt renders it).
        result["request"] = (
            {"headers": message.headers, "body": message.body} if message is not None else None
        )
    return result


def _entry(session: Session, row: Notification) -> NotificationEntry:
    (entry,) = listings.notification_entries(session, [row])
    return entry


def _notification_or_404(session: Session, seller_id: str, notification_id: int) -> Notification:
    merchant = merchant_or_404(session, seller_id)
    row = session.get(Notification, notification_id)
    if row is None or row.merchant_id != merchant.id:
        raise ControlError(404, "NotificationNotFound", f"No notification {notification_id}.")
    return row


@bp.get(f"{MERCHANT}/notifications")
def list_notifications(seller_id: str) -> ResponseReturnValue:
    """List a merchant's notifications (IPNs), newest first, each with its delivery attempts.
    ---
    tags: [notifications]
    parameters:
      - in: query
        schema: NotificationListQuerySchema
    responses:
      200:
        description: A page of notifications.
        content:
          application/json:
            schema: NotificationPageSchema
    """
    args = query(NotificationListQuerySchema)

    def rows(session: Session) -> Any:
        return listings.notifications(
            session,
            merchant_or_404(session, seller_id).id,
            delivery_states=args.get("delivery_state", ()),
            notification_type=args.get("type"),
            object_id=args.get("object_id"),
            cursor=args.get("cursor"),
            limit=args["limit"],
        )

    return jsonify(paged(rows, lambda _session, entry: notification_json(entry)))


@bp.get(NOTIFICATION)
def show_notification(seller_id: str, notification_id: int) -> ResponseReturnValue:
    """A notification with its attempts and the exact request each attempt posts.
    ---
    tags: [notifications]
    responses:
      200:
        description: The notification.
        content:
          application/json:
            schema: NotificationDetailSchema
    """

    def work(session: Session) -> dict[str, Any]:
        row = _notification_or_404(session, seller_id, notification_id)
        return notification_json(_entry(session, row), with_request=True)

    return jsonify(runtime().db.run(work, write=False))


@bp.post(f"{NOTIFICATION}/redeliver")
def redeliver(seller_id: str, notification_id: int) -> ResponseReturnValue:
    """Queue a new delivery of the same message now; the next sweep posts it.
    ---
    tags: [notifications]
    requestBody:
      content:
        application/json:
          schema: NoBodySchema
    responses:
      202:
        description: Queued.
        content:
          application/json:
            schema: NotificationSchema
      409:
        description: The notification is being delivered right now.
    """
    body(NoBodySchema)
    rt = runtime()

    def work(session: Session) -> dict[str, Any]:
        row = redeliver_now(session, seller_id, notification_id)
        return notification_json(_entry(session, row))

    return jsonify(rt.db.run(work)), 202


def redeliver_now(session: Session, seller_id: str, notification_id: int) -> Notification:
    """Queue a new delivery of the merchant's notification (the API's and the dashboard's)."""
    row = _notification_or_404(session, seller_id, notification_id)
    merchant = merchant_or_404(session, seller_id)
    try:
        base = runtime().clock.now()
        redeliver_notification(session, row, now_for(merchant, base), base)
    except NotificationInFlight as exc:
        raise ControlError(409, "NotificationInFlight", str(exc)) from None
    session.flush()
    return row


@bp.get(f"{MERCHANT}/wait")
def wait(seller_id: str) -> ResponseReturnValue:
    """Wait until an object has reached a state (and, with acknowledged, been notified of it).
    ---
    tags: [notifications]
    parameters:
      - in: query
        schema: WaitQuerySchema
    responses:
      200:
        description: The object, in that state (or past it).
        content:
          application/json:
            schema: ReachedSchema
      408:
        description: It did not get there within the timeout.
    """
    args = query(WaitQuerySchema)
    object_id, state = args["object_id"], args["state"]
    acknowledged, timeout = args["acknowledged"], args["timeout"]
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
