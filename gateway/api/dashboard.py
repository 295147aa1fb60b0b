"""The dashboard: Seller Central-style order administration in the browser, at ``/sandbox/``.

Server-rendered pages (``gateway/templates/dashboard/``); every action calls the same domain
function as the JSON API (``gateway.domain.administration``, ``gateway.domain.deletion``,
``gateway.domain.disputes``, the clock through ``gateway.api.control.change_clock``), after a
confirmation page, then shows the result on the order page.

CSRF: a double-submit token. Each page sets a random ``sandbox_csrf`` cookie (SameSite=Strict,
HttpOnly) and puts the same value in every form; a POST whose form value does not match the
cookie is refused with 403 before anything runs. A page of another site can neither read the
cookie nor make the browser send it (SameSite=Strict).

Tokens: when the server requires a control-API token (``Settings.token_required``), the
dashboard asks for one once (``/sandbox/login``) and keeps it in an HttpOnly ``sandbox_token``
cookie; a merchant token sees only its own merchant, as on the JSON API.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from flask import Blueprint, Response, g, make_response, redirect, render_template, request
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.api.administration import order_json
from gateway.api.control import change_clock
from gateway.api.faults import create_rule, event_json, rule_json
from gateway.api.merchants import merchant_json, token_json
from gateway.api.notifications import redeliver_now
from gateway.api.sandbox import ControlError, merchant_or_404, row_id, runtime
from gateway.api.throttling import switch_mode, throttling_json
from gateway.api.v2_orders import checkout_json, checkout_row
from gateway.domain import administration as admin
from gateway.domain import clock_control, disputes
from gateway.domain.deletion import delete_order
from gateway.domain.lifecycle import Context
from gateway.domain.money import format_amount
from gateway.domain.order_references import get_order_reference
from gateway.domain.states import OrderReferenceState
from gateway.errors import GatewayError
from gateway.faults import throttling
from gateway.faults.specs import KINDS as FAULT_KINDS
from gateway.faults.specs import NewFaultRuleSchema
from gateway.ipn.leases import DeliveryState
from gateway.store import administration as admin_store
from gateway.store import faults as fault_store
from gateway.store import journal as journal_store
from gateway.store import listings
from gateway.store.models import (
    Dispute,
    FaultRule,
    Notification,
    NotificationAttempt,
    OrderReference,
)
from gateway.store.paging import InvalidCursor
from gateway.tokens import ADMIN, Principal, authenticate
from gateway.v2 import charge_permissions as v2_charge_permissions
from gateway.v2 import charges as v2_charges
from gateway.v2 import disputes as v2_disputes
from gateway.v2 import listings as v2_listings
from gateway.v2 import refunds as v2_refunds
from gateway.v2.states import CheckoutSessionState

bp = Blueprint("dashboard", __name__, url_prefix="/sandbox")

T = TypeVar("T")

CSRF_COOKIE, TOKEN_COOKIE = "sandbox_csrf", "sandbox_token"
PAGE_SIZE = 50


class DashboardError(Exception):
    """Bad input or a refused action: shown on the page with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


# --- request plumbing ----------------------------------------------------------------------------


@bp.before_request
def _guard() -> ResponseReturnValue | None:
    if request.endpoint in ("dashboard.login", "static"):
        return None
    rt = runtime()
    g.principal = ADMIN
    if rt.settings.token_required:
        token = request.cookies.get(TOKEN_COOKIE, "")
        who = (
            rt.db.run(lambda s: authenticate(s, token, rt.admin_token), write=False)
            if token
            else None
        )
        if who is None:
            return redirect("/sandbox/login", code=303)
        g.principal = who
    seller_id = (request.view_args or {}).get("seller_id")
    if seller_id is not None and not _principal().may_act_for(seller_id):
        raise DashboardError(404, f"No merchant with seller id {seller_id!r}.")
    if request.method == "POST":
        sent, kept = request.form.get("csrf", ""), request.cookies.get(CSRF_COOKIE, "")
        if not kept or not secrets.compare_digest(sent, kept):
            raise DashboardError(403, "The form is stale or came from another site: reload it.")
    return None


def _principal() -> Principal:
    who: Principal = g.get("principal", ADMIN)
    return who


def _csrf() -> str:
    token: str = g.get("csrf") or request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    g.csrf = token
    return token


@bp.after_request
def _set_csrf_cookie(response: Response) -> Response:
    token = g.get("csrf")
    if token and request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="Strict", path="/sandbox")
    return response


@bp.app_context_processor
def _template_globals() -> dict[str, Any]:
    return {"csrf_token": _csrf, "money": format_amount}


def _page(template: str, status: int = 200, **context: Any) -> ResponseReturnValue:
    return render_template(f"dashboard/{template}", **context), status


@bp.errorhandler(DashboardError)
def _dashboard_error(error: DashboardError) -> ResponseReturnValue:
    return _page("error.html", error.status, message=error.message)


@bp.errorhandler(ControlError)
def _control_error(error: ControlError) -> ResponseReturnValue:
    return _page("error.html", error.status, message=error.message)


@bp.errorhandler(404)
@bp.errorhandler(405)
def _http_error(error: Any) -> ResponseReturnValue:
    return _page("error.html", error.code, message=error.description)


def _in_merchant(seller_id: str, work: Callable[[Context], T], *, write: bool = False) -> T:
    rt = runtime()
    return rt.db.run(lambda s: work(rt.context(s, merchant_or_404(s, seller_id))), write=write)


# --- login ---------------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Ask for the control-API token once; keep it in a cookie."""
    if request.method == "GET":
        return _page("login.html")
    rt = runtime()
    token = request.form.get("token", "").strip()
    who = rt.db.run(lambda s: authenticate(s, token, rt.admin_token), write=False)
    if who is None:
        return _page("login.html", 401, error="That token is not valid (unknown or revoked).")
    response = make_response(redirect("/sandbox/", code=303))
    response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="Strict", path="/sandbox")
    return response


# --- merchants and orders ------------------------------------------------------------------------


@bp.get("/")
def home() -> ResponseReturnValue:
    """The merchant picker."""
    who = _principal()
    search = request.args.get("q", "").strip() or None
    found = runtime().db.run(
        lambda s: listings.merchants(s, search=search, only_id=who.merchant_id, limit=PAGE_SIZE),
        write=False,
    )
    return _page("home.html", merchants=found.items, q=search or "")


def _order_rows(session: Session, rows: list[listings.OrderRow]) -> list[dict[str, Any]]:
    shown = []
    for row in rows:
        oro = session.get(OrderReference, row.id)
        assert oro is not None
        status = admin.payment_status(oro, admin_store.administration(session, row.id))
        shown.append({"row": row, "payment_status": status})
    return shown


@bp.get("/merchants/<seller_id>/orders")
def orders(seller_id: str) -> ResponseReturnValue:
    """A merchant's orders, newest first: filters by state, an id, an amount range; keyset paged."""
    state = _choice("state", [s.value for s in OrderReferenceState])
    search = request.args.get("q", "").strip() or None
    least = _decimal_arg("amount_min")
    most = _decimal_arg("amount_max")
    amount = None if least is None and most is None else listings.AmountRange(least, most)
    cursor = request.args.get("cursor") or None
    v2_state = _choice("v2_state", [s.value for s in CheckoutSessionState])
    v2_cursor = request.args.get("v2_cursor") or None

    def work(ctx: Context) -> dict[str, Any]:
        v2_found = _paged(
            lambda: v2_listings.checkout_sessions(
                ctx.session,
                ctx.merchant.id,
                states=(v2_state,) if v2_state else (),
                search=search,
                cursor=v2_cursor,
                limit=PAGE_SIZE,
            )
        )
        found = _paged(
            lambda: listings.orders(
                ctx.session,
                ctx.merchant.id,
                states=(state,) if state else (),
                amount=amount,
                search=search,
                cursor=cursor,
                limit=PAGE_SIZE,
            )
        )
        return {
            "orders": _order_rows(ctx.session, found.items),
            "next": found.next,
            "v2_checkouts": [checkout_row(found) for found in v2_found.items],
            "v2_next": v2_found.next,
        }

    listed = _in_merchant(seller_id, work)
    return _page(
        "orders.html",
        seller_id=seller_id,
        states=[s.value for s in OrderReferenceState],
        v2_states=[s.value for s in CheckoutSessionState],
        filters={
            "state": state,
            "q": search or "",
            "amount_min": least,
            "amount_max": most,
            "v2_state": v2_state,
        },
        **listed,
    )


def _choice(name: str, allowed: list[str]) -> str:
    """Query argument ``name``: empty (any) or one of ``allowed``."""
    value = request.args.get(name, "")
    if value and value not in allowed:
        raise DashboardError(400, f"{name} {value!r} is not one of {', '.join(allowed)}.")
    return value


def _paged(read: Callable[[], T]) -> T:
    """A page of a list; a cursor the list did not hand out is an error on the page."""
    try:
        return read()
    except InvalidCursor:
        raise DashboardError(400, "cursor is not one this list handed out.") from None


def _decimal_arg(name: str) -> Decimal | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise DashboardError(400, f"{name} must be an amount such as 10.00.") from None
    if not value.is_finite() or value < 0 or value >= 10**9:
        raise DashboardError(400, f"{name} must be an amount such as 10.00.")
    return value


def _timeline(session: Session, merchant_id: int, prefix: str) -> list[dict[str, Any]]:
    """Every state change of an order (or a v2 charge permission) and its objects, each with its
    notification's delivery attempts (the objects' Amazon ids start with the order's)."""
    found = list(
        session.scalars(
            select(Notification)
            .where(
                Notification.merchant_id == merchant_id,
                Notification.object_id.like(f"{prefix}%"),
            )
            .order_by(Notification.id)
        )
    )
    attempts: dict[int, list[NotificationAttempt]] = {}
    if found:
        for attempt in session.scalars(
            select(NotificationAttempt)
            .where(NotificationAttempt.notification_id.in_([n.id for n in found]))
            .order_by(NotificationAttempt.id)
        ):
            attempts.setdefault(attempt.notification_id, []).append(attempt)
    return [
        {
            "id": n.id,
            "type": n.notification_type,
            "object_id": n.object_id,
            "state": n.state,
            "reason_code": n.reason_code,
            "at": n.changed_at,
            "delivery": n.delivery_state,
            "attempts": attempts.get(n.id, []),
        }
        for n in found
    ]


def _order_page(seller_id: str, order_id: str, **extra: Any) -> ResponseReturnValue:
    def work(ctx: Context) -> dict[str, Any]:
        oro = get_order_reference(ctx, order_id)
        return {
            "order": order_json(ctx, oro),
            "timeline": _timeline(ctx.session, ctx.merchant.id, oro.amazon_id),
            "refund_on_cancel": admin.refund_on_cancel(ctx),
            "disputes": list(
                ctx.session.scalars(
                    select(Dispute).where(Dispute.order_reference_id == oro.id).order_by(Dispute.id)
                )
            ),
        }

    try:
        shown = _in_merchant(seller_id, work)
    except GatewayError as error:
        raise DashboardError(error.http_status, error.message) from None
    return _page(
        "order.html",
        extra.pop("status", 200),
        seller_id=seller_id,
        dispute_types=disputes.DISPUTE_TYPES,
        **shown,
        **extra,
    )


@bp.get("/merchants/<seller_id>/orders/<order_id>")
def order(seller_id: str, order_id: str) -> ResponseReturnValue:
    """One order: line items, payments, disputes, the timeline, and the actions."""
    return _order_page(seller_id, order_id)


# --- actions -------------------------------------------------------------------------------------

#: What each action does, for its confirmation page.
ACTIONS = {
    "capture": "Capture the order's open authorization",
    "refund": "Refund the order",
    "cancel": "Cancel the order",
    "close": "Close the order",
    "delete": "Delete the order from the sandbox",
    "dispute": "File a dispute",
    "resolve": "Resolve a dispute",
    "clock": "Change the merchant's clock",
    "refund-on-cancel": "Change what canceling refunds",
}


def _form(name: str) -> str | None:
    value = request.form.get(name, "").strip()
    return value or None


def _perform(ctx: Context, action: str, order_id: str) -> str:
    """Run ``action`` through the domain; what was done, in words."""
    if action == "capture":
        cap = admin.capture_order(ctx, order_id, amount=_form("amount"))
        return f"Capture {cap.amazon_id} made: {cap.state}."
    if action == "refund":
        amount = _form("amount")
        if amount is None:
            raise DashboardError(400, "amount is required: how much to refund, e.g. 10.00.")
        made = admin.refund_order(ctx, order_id, amount)
        return "Refund " + ", ".join(f"{r.amazon_id} ({r.state})" for r in made) + " made."
    if action == "cancel":
        items = [
            {"position": int(p), "quantity": int(request.form.get(f"quantity_{p}") or 1)}
            for p in request.form.getlist("position")
            if p.isdigit()
        ]
        done = admin.cancel_order(
            ctx,
            order_id,
            amount=None if items else _form("amount"),
            line_items=items or None,
            reason=_form("reason"),
        )
        what = "whole" if done.whole else "in part"
        currency = done.currency or "USD"
        return (
            f"Canceled {what}: {format_amount(done.canceled_minor, currency)} {currency}; "
            f"{len(done.refunds)} refund(s) made, "
            f"{format_amount(done.owed_minor, currency)} owed."
        )
    if action == "close":
        admin.close_order(ctx, order_id, _form("reason"))
        return "Order closed."
    if action == "dispute":
        dispute = disputes.file_dispute(
            ctx,
            request.form.get("type", disputes.DISPUTE_TYPES[0]),
            amazon_order_reference_id=order_id,
            amount=_form("amount"),
            reason=_form("reason"),
        )
        return f"Dispute {dispute.amazon_id} filed: {dispute.state}."
    if action == "resolve":
        dispute_id, outcome = _form("dispute_id") or "", _form("outcome") or ""
        if outcome not in ("granted", "denied"):
            raise DashboardError(400, "outcome must be granted or denied.")
        resolved = disputes.resolve_dispute(ctx, dispute_id, outcome)
        return f"Dispute {resolved.amazon_id} {resolved.state}."
    if action == "refund-on-cancel":
        admin.set_refund_on_cancel(ctx, _form("value") or "")
        return f"Refund on cancel: {admin.refund_on_cancel(ctx)}."
    raise DashboardError(404, f"No action {action!r}.")


def _clock(seller_id: str) -> str:
    how = request.form.get("how", "")
    if how == "advance":
        try:
            seconds = float(request.form.get("seconds", ""))
        except ValueError:
            raise DashboardError(400, "seconds must be a number, e.g. 3600.") from None
        if not 0 < seconds <= 10 * 365 * 86400:
            raise DashboardError(400, "seconds must be more than 0 and at most ten years.")
        result = change_clock(seller_id, lambda m, base: clock_control.advance(m, seconds, base))
    elif how == "freeze":
        result = change_clock(seller_id, clock_control.freeze)
    elif how == "resume":
        result = change_clock(seller_id, clock_control.resume)
    else:
        raise DashboardError(400, "how must be advance, freeze or resume.")
    return f"Clock now {result['now']}; {result['applied_transitions']} due change(s) applied."


@bp.route("/merchants/<seller_id>/orders/<order_id>/<action>", methods=["GET", "POST"])
def act(seller_id: str, order_id: str, action: str) -> ResponseReturnValue:
    """GET: the confirmation page of ``action``; POST with ``confirmed``: do it, show the order."""
    if action not in ACTIONS:
        raise DashboardError(404, f"No action {action!r}.")
    values = request.values.to_dict(flat=True)
    values.pop("csrf", None)
    if request.method == "GET" or values.pop("confirmed", None) != "yes":
        summary = _in_merchant(
            seller_id, lambda ctx: order_json(ctx, get_order_reference(ctx, order_id))
        )
        return _page(
            "confirm.html",
            seller_id=seller_id,
            order=summary,
            action=action,
            title=ACTIONS[action],
            values=values,
            positions=request.values.getlist("position"),
        )
    try:
        if action == "clock":
            done = _clock(seller_id)
        elif action == "delete":
            deletion = _in_merchant(seller_id, lambda ctx: delete_order(ctx, order_id), write=True)
            return _page("deleted.html", seller_id=seller_id, deletion=deletion)
        else:
            done = _in_merchant(seller_id, lambda ctx: _perform(ctx, action, order_id), write=True)
    except GatewayError as error:
        return _order_page(seller_id, order_id, error=error.message, status=error.http_status)
    except ControlError as error:
        return _order_page(seller_id, order_id, error=error.message, status=error.status)
    except DashboardError as error:
        return _order_page(seller_id, order_id, error=error.message, status=error.status)
    return _order_page(seller_id, order_id, done=done)


# --- API v2 checkouts ---------------------------------------------------------------------------

#: What each action on a v2 checkout does, for its confirmation page.
V2_ACTIONS = {
    "capture": "Capture a charge",
    "refund": "Refund a charge",
    "cancel-charge": "Cancel a charge",
    "close": "Close the charge permission",
    "dispute": "File a dispute on a charge",
    "resolve": "Resolve a dispute",
    "clock": "Change the merchant's clock",
}


def _v2_checkout(ctx: Context, any_id: str) -> v2_listings.Checkout:
    found = v2_listings.checkout(ctx.session, ctx.merchant.id, any_id)
    if found is None:
        raise DashboardError(404, f"No API v2 checkout {any_id!r}.")
    return found


def _v2_page(seller_id: str, any_id: str, **extra: Any) -> ResponseReturnValue:
    public_url = runtime().settings.resolved_public_url

    def work(ctx: Context) -> dict[str, Any]:
        found = _v2_checkout(ctx, any_id)
        permission = found.charge_permission
        return {
            "checkout": checkout_json(found, public_url),
            "timeline": (
                _timeline(ctx.session, ctx.merchant.id, permission.amazon_id) if permission else []
            ),
        }

    return _page(
        "v2_order.html",
        extra.pop("status", 200),
        seller_id=seller_id,
        any_id=any_id,
        dispute_types=disputes.DISPUTE_TYPES,
        **_in_merchant(seller_id, work),
        **extra,
    )


@bp.get("/merchants/<seller_id>/v2/<any_id>")
def v2_order(seller_id: str, any_id: str) -> ResponseReturnValue:
    """One API v2 checkout: the session, its charge permission, charges, refunds, disputes, the
    timeline, and the actions."""
    return _v2_page(seller_id, any_id)


def _v2_price(ctx: Context, charge_id: str, field: str) -> dict[str, Any]:
    amount = _form("amount")
    if amount is None:
        raise DashboardError(400, f"amount is required: the {field}, e.g. 10.00.")
    charge = v2_charges.get_charge(ctx, charge_id)
    return {"amount": amount, "currencyCode": charge.currency}


def _v2_perform(ctx: Context, action: str, any_id: str) -> str:
    """Run ``action`` through API v2's domain; what was done, in words."""
    found = _v2_checkout(ctx, any_id)
    permission = found.charge_permission
    if permission is None:
        raise DashboardError(409, "The checkout session is not completed: it has no charges.")
    charge_id = _form("charge_id") or (found.charges[-1].amazon_id if found.charges else "")
    if action == "capture":
        capture = {"captureAmount": _v2_price(ctx, charge_id, "capture amount")}
        charge = v2_charges.capture(ctx, charge_id, capture)
        return f"Charge {charge.amazon_id} captured: {charge.state}."
    if action == "refund":
        refund_body: dict[str, Any] = {
            "chargeId": charge_id,
            "refundAmount": _v2_price(ctx, charge_id, "refund amount"),
        }
        refund = v2_refunds.create_refund(ctx, refund_body)
        return f"Refund {refund.amazon_id} made: {refund.state}."
    if action == "cancel-charge":
        charge = v2_charges.cancel(ctx, charge_id, _form("reason"))
        return f"Charge {charge.amazon_id} canceled: {charge.state}/{charge.reason_code}."
    if action == "close":
        closed = v2_charge_permissions.close(
            ctx,
            permission.amazon_id,
            closure_reason=_form("reason"),
            cancel_pending_charges=_form("cancel_pending_charges") == "yes",
        )
        return f"Charge permission {closed.amazon_id} closed: {closed.reason_code}."
    if action == "dispute":
        dispute = v2_disputes.file_dispute(
            ctx,
            request.form.get("type", disputes.DISPUTE_TYPES[0]),
            charge_id=charge_id or None,
            amount=_form("amount"),
            reason=_form("reason"),
        )
        return f"Dispute {dispute.amazon_id} filed: {dispute.state}."
    if action == "resolve":
        dispute_id, outcome = _form("dispute_id") or "", _form("outcome") or ""
        found_dispute = v2_disputes.get_dispute(ctx, dispute_id, for_update=True)
        if found_dispute is None:
            raise DashboardError(404, f"No dispute {dispute_id!r} on this checkout.")
        resolved = v2_disputes.resolve_dispute(ctx, found_dispute, outcome)
        return f"Dispute {resolved.amazon_id} {resolved.state}."
    raise DashboardError(404, f"No action {action!r}.")


@bp.route("/merchants/<seller_id>/v2/<any_id>/<action>", methods=["GET", "POST"])
def v2_act(seller_id: str, any_id: str, action: str) -> ResponseReturnValue:
    """GET: the confirmation page of ``action``; POST with ``confirmed``: do it, show the
    checkout."""
    if action not in V2_ACTIONS:
        raise DashboardError(404, f"No action {action!r}.")
    values = request.values.to_dict(flat=True)
    values.pop("csrf", None)
    base = f"/sandbox/merchants/{seller_id}/v2/{any_id}"
    if request.method == "GET" or values.pop("confirmed", None) != "yes":
        session_id = _in_merchant(
            seller_id, lambda ctx: _v2_checkout(ctx, any_id).session.amazon_id
        )
        return _page(
            "confirm.html",
            seller_id=seller_id,
            base=base,
            summary=f"API v2 checkout {session_id}",
            action=action,
            title=V2_ACTIONS[action],
            values=values,
            positions=[],
        )
    try:
        if action == "clock":
            done = _clock(seller_id)
        else:
            done = _in_merchant(seller_id, lambda ctx: _v2_perform(ctx, action, any_id), write=True)
    except GatewayError as error:
        return _v2_page(seller_id, any_id, error=error.message, status=error.http_status)
    except DashboardError as error:
        return _v2_page(seller_id, any_id, error=error.message, status=error.status)
    return _v2_page(seller_id, any_id, done=done)


# --- notifications, journal, merchant ------------------------------------------------------------


@bp.get("/merchants/<seller_id>/notifications")
def notifications(seller_id: str) -> ResponseReturnValue:
    """Every IPN of the merchant, newest first, with its attempts; filters by state and type."""
    delivery = _choice("delivery_state", [s.value for s in DeliveryState])
    kind = request.args.get("type", "").strip() or None
    cursor = request.args.get("cursor") or None

    def work(ctx: Context) -> Any:
        return _paged(
            lambda: listings.notifications(
                ctx.session,
                ctx.merchant.id,
                delivery_states=(delivery,) if delivery else (),
                notification_type=kind,
                cursor=cursor,
                limit=PAGE_SIZE,
            )
        )

    found = _in_merchant(seller_id, work)
    return _page(
        "notifications.html",
        seller_id=seller_id,
        entries=found.items,
        next=found.next,
        delivery_states=[s.value for s in DeliveryState],
        filters={"delivery_state": delivery, "type": kind or ""},
        done=request.args.get("done"),
    )


@bp.post("/merchants/<seller_id>/notifications/<int:notification_id>/redeliver")
def redeliver(seller_id: str, notification_id: int) -> ResponseReturnValue:
    """Queue a new delivery (the button asks for confirmation with ``hx-confirm``)."""
    runtime().db.run(lambda s: redeliver_now(s, seller_id, notification_id))
    return redirect(
        f"/sandbox/merchants/{seller_id}/notifications?done=Notification+{notification_id}+queued",
        code=303,
    )


@bp.get("/merchants/<seller_id>/journal")
def journal(seller_id: str) -> ResponseReturnValue:
    """The merchant's signed requests, newest first, with the expected string to sign on a
    signature failure."""
    rt = runtime()
    merchant_id = rt.db.run(lambda s: merchant_or_404(s, seller_id).id, write=False)
    before = request.args.get("cursor", "")
    if before and not before.isdigit():
        raise DashboardError(400, "cursor must be an entry id.")
    failed = {"": None, "yes": True, "no": False}.get(request.args.get("failed", ""))
    ring = rt.journal
    entries = ring.db.run(
        lambda s: journal_store.page(
            s,
            merchant_id,
            limit=PAGE_SIZE + 1,
            before=int(before) if before else None,
            keep=ring.size,
            action=request.args.get("action") or None,
            failed=failed,
        ),
        write=False,
    )
    shown = entries[:PAGE_SIZE]
    return _page(
        "journal.html",
        seller_id=seller_id,
        entries=shown,
        next=shown[-1].id if len(entries) > PAGE_SIZE and shown else None,
    )


@bp.get("/merchants/<seller_id>")
def merchant(seller_id: str) -> ResponseReturnValue:
    """Credentials, settings, the IPN URL, the merchant's API tokens, and its fault rules with
    what they did last."""
    rt = runtime()

    def work(session: Session) -> dict[str, Any]:
        record = merchant_or_404(session, seller_id)
        tokens = listings.api_tokens(session, record.id, limit=PAGE_SIZE).items
        return {
            "merchant": merchant_json(record, rt),
            "tokens": [token_json(t) for t in tokens],
            "throttling": throttling_json(session, record, rt),
            "rules": [rule_json(rule) for rule in fault_store.rules(session, record.id)],
            "hits": [
                event_json(e) for e in fault_store.events(session, record.id, limit=10).items
            ],
        }

    return _page(
        "merchant.html",
        seller_id=seller_id,
        modes=throttling.MODES,
        kinds=FAULT_KINDS,
        done=request.args.get("done"),
        **rt.db.run(work, write=False),
    )


@bp.post("/merchants/<seller_id>/throttling")
def throttling_mode(seller_id: str) -> ResponseReturnValue:
    """Switch the merchant's throttling (the same domain call as the JSON API's PUT)."""
    mode = request.form.get("mode", "")
    if mode not in throttling.MODES:
        raise DashboardError(400, f"mode must be one of {', '.join(throttling.MODES)}.")

    runtime().db.run(lambda s: switch_mode(s, seller_id, mode))
    return redirect(f"/sandbox/merchants/{seller_id}?done=Throttling+{mode}", code=303)


# --- faults --------------------------------------------------------------------------------------


@bp.post("/merchants/<seller_id>/faults")
def add_fault(seller_id: str) -> ResponseReturnValue:
    """Add a fault rule from the merchant page's form (checked as the JSON API checks it)."""
    form = {k: v.strip() for k, v in request.form.items() if k != "csrf" and v.strip()}
    try:
        data = NewFaultRuleSchema(registry=runtime().registry).load(form)
    except ValidationError as exc:
        problems = exc.normalized_messages()  # type: ignore[no-untyped-call]
        shown = "; ".join(f"{name}: {' '.join(map(str, why))}" for name, why in problems.items())
        raise DashboardError(400, f"The rule is not valid: {shown}") from None
    made = create_rule(seller_id, data)
    return redirect(f"/sandbox/merchants/{seller_id}?done=Rule+{made['id']}+added", code=303)


@bp.post(f"/merchants/<seller_id>/faults/{row_id('rule_id', FaultRule.id)}/delete")
def delete_fault(seller_id: str, rule_id: int) -> ResponseReturnValue:
    """Delete a fault rule (the button asks for confirmation with ``hx-confirm``)."""
    rt = runtime()
    rt.db.run(lambda s: fault_store.delete_rule(s, merchant_or_404(s, seller_id).id, rule_id))
    return redirect(f"/sandbox/merchants/{seller_id}?done=Rule+{rule_id}+deleted", code=303)


@bp.get("/merchants/<seller_id>/faults")
def fault_log(seller_id: str) -> ResponseReturnValue:
    """The fault log, newest first: what each rule did to which request or notification."""
    cursor = request.args.get("cursor") or None

    def work(ctx: Context) -> Any:
        return _paged(
            lambda: fault_store.events(
                ctx.session, ctx.merchant.id, cursor=cursor, limit=PAGE_SIZE
            )
        )

    found = _in_merchant(seller_id, work)
    return _page(
        "faults.html",
        seller_id=seller_id,
        hits=[event_json(e) for e in found.items],
        next=found.next,
    )
