"""The fault log's words: how a rule is described and what each hit did, as the control API,
the CLI and the dashboard show them (``gateway.store.faults`` keeps the rows). No Flask here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gateway.store.models import FaultRule

#: What each kind does, as the log says it.
_EFFECTS = {
    "close": "closed the connection with no answer",
    "empty": "answered an empty 200",
    "truncate": "answered truncated {body}",
    "drop": "dropped the notification (never posted)",
    "bad_signature": "posted it with a broken signature",
    "bad_cert_url": "posted it with a SigningCertURL off the allow-list",
}


def describe(rule: FaultRule, *, hit: bool = False) -> str:
    """``rule`` in a line: ``rule 3: error InternalServerError (500) on Authorize, 2 left``
    (``hit``: as it is once the hit being logged was taken from it)."""
    what = rule.kind
    if rule.kind == "error":
        what = f"error {rule.error_code} ({rule.http_status})"
    elif rule.kind in ("latency", "delay"):
        span = f"{rule.seconds:g}" + (f"-{rule.max_seconds:g}" if rule.max_seconds else "")
        what = f"{rule.kind} {span} s"
    scope = " ".join(part for part in (rule.service, rule.action) if part) or "any"
    chance = f", probability {rule.probability:g}" if rule.probability is not None else ""
    if rule.seed is not None:
        chance += f" (seed {rule.seed})"
    left = rule.remaining
    if left is not None and hit:
        left -= 1  # the row was counted down by one statement; this object was read before it
    count = "" if left is None else f", {left} left"
    return f"rule {rule.id}: {what} on {scope}{chance}{count}"[:256]


def effect(
    rule: FaultRule, latency: float = 0.0, until: datetime | None = None, body: str = "XML"
) -> str:
    """What one hit of ``rule`` did (``body``: what the service answers, XML or JSON)."""
    if rule.kind == "error":
        return f"answered {rule.error_code} ({rule.http_status})"
    if rule.kind == "latency":
        return f"added {latency:.3f} s of latency"
    if rule.kind == "delay":
        return f"delayed it {rule.seconds:g} s" + (f", to {until.isoformat()}" if until else "")
    return _EFFECTS[rule.kind].format(body=body)


def request_event(
    rule: FaultRule,
    what: str,
    service: str,
    action: str,
    request_id: str,
    now: datetime,
) -> dict[str, Any]:
    """The log row of a hit on a request (found again by its request id in the journal)."""
    return {
        "merchant_id": rule.merchant_id,
        "rule_id": rule.id,
        "kind": rule.kind,
        "occurred_at": now,
        "service": service,
        "action": action[:64],
        "request_id": request_id,
        "effect": what,
        "rule": describe(rule, hit=True),
    }


def notification_event(
    rule: FaultRule, what: str, notification_id: int, notification_type: str, now: datetime
) -> dict[str, Any]:
    """The log row of a hit on a notification."""
    return {
        "merchant_id": rule.merchant_id,
        "rule_id": rule.id,
        "kind": rule.kind,
        "occurred_at": now,
        "action": notification_type[:64],
        "notification_id": notification_id,
        "effect": what,
        "rule": describe(rule, hit=True),
    }
