"""IPN faults: what a merchant's next notifications meet on purpose (``FaultRule`` rows with
target ``ipn``), applied by the outbox when a notification is first prepared for posting. No
Flask here.

- ``drop``: never posted; the row ends ``failed`` with an attempt logged ``dropped``, so the
  redelivery endpoint posts it later as for any failed notification.
- ``delay``: held back that many seconds of the merchant's clock (the row stays ``pending``,
  due then; an attempt logged ``delayed``); advancing the clock releases it.
- ``bad_signature``, ``bad_cert_url``: this attempt posts a copy with its signature broken, or
  its ``SigningCertURL`` (FPS: ``certificateUrl``) off the allow-list
  (``clients.ipn_signing``); a correct receiver refuses it, and the retry that follows posts
  the genuine message, stored as always.

A fault applies on a notification's first preparation only: a retry, a delayed row's post and a
redelivery send the stored, genuine message. One rule (the oldest that hits) per notification;
each hit is taken from its rule and logged in the transaction that prepares the notification.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from urllib.parse import parse_qsl, urlencode

from sqlalchemy.orm import Session

from clients.ipn_signing import OFF_ALLOW_LIST_CERT_URL, broken_signature
from gateway.faults import log
from gateway.faults.rules import IPN, hits
from gateway.store import faults as store
from gateway.store.models import FaultRule, Notification

DROP, DELAY, BAD_SIGNATURE, BAD_CERT_URL = "drop", "delay", "bad_signature", "bad_cert_url"


@dataclass(frozen=True)
class IpnFault:
    """What a rule does to one notification."""

    kind: str
    #: For a delay: when the notification is due (the merchant's clock).
    due_at: datetime | None
    #: What the attempt log says.
    note: str


def rules(session: Session, merchant_id: int) -> list[FaultRule]:
    """The merchant's IPN rules that may still hit, oldest first (read once per chunk)."""
    return store.live(session, merchant_id, IPN, None, None)


def decide(
    session: Session,
    rng: Random,
    candidates: list[FaultRule],
    row: Notification,
    now: datetime,
    base: datetime,
) -> IpnFault | None:
    """The fault for ``row`` (None: it goes out as it is), taken and logged."""
    for rule in candidates:
        if rule.action is not None and rule.action != row.notification_type:
            continue
        hit, _ = hits(session, rule, rng)
        if not hit:
            continue
        due_at = now + timedelta(seconds=rule.seconds or 0) if rule.kind == DELAY else None
        effect = log.effect(rule, until=due_at)
        store.log(
            session, log.notification_event(rule, effect, row.id, row.notification_type, base)
        )
        return IpnFault(rule.kind, due_at, f"{effect} (fault rule {rule.id})")
    return None


def tampered(body: bytes, kind: str) -> bytes:
    """A copy of a rendered notification with its signature broken or its certificate URL off
    the allow-list: an SNS envelope (JSON) or an FPS form."""
    text = body.decode("utf-8")
    if text.lstrip().startswith("{"):
        envelope = json.loads(text)
        if kind == BAD_SIGNATURE:
            envelope["Signature"] = broken_signature(envelope.get("Signature", ""))
        else:
            envelope["SigningCertURL"] = OFF_ALLOW_LIST_CERT_URL
        # As ``gateway.ipn.envelope`` writes it (SNS's pretty-printing).
        return json.dumps(envelope, indent=2, separators=(",", " : "), ensure_ascii=False).encode()
    params = dict(parse_qsl(text, keep_blank_values=True))
    if kind == BAD_SIGNATURE:
        params["signature"] = broken_signature(params.get("signature", ""))
    else:
        params["certificateUrl"] = OFF_ALLOW_LIST_CERT_URL
    return urlencode(params).encode("ascii")
