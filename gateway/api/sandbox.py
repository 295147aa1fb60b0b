"""The sandbox control plane, JSON under ``/sandbox/api/v1``: merchants and buyer checkouts.

What a buyer would do in Amazon's widget (create an order reference with a buyer, a destination
and a payment method) and what a tester needs (merchants, their settings). Errors are JSON:
``{"error": {"code": ..., "message": ..., "fields": {...}}}`` with a matching HTTP status.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import QueryableAttribute, Session
from werkzeug.exceptions import HTTPException

from gateway import strict_json
from gateway.domain.merchants import MERCHANT_SETTINGS, create_merchant
from gateway.domain.order_references import create_order_reference, get_order_reference
from gateway.domain.records import MerchantRecord
from gateway.errors import GatewayError
from gateway.runtime import Runtime
from gateway.store import merchants
from gateway.store.models import Merchant
from gateway.values import EmailAddress, HttpUrl, Text, first_unreadable, row_id_range
from gateway.wire import views
from gateway.wire.render import timestamp

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox/api/v1")


class ControlError(Exception):
    """An error of the control API, rendered as JSON."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def json_error(
    status: int, code: str, message: str | None, fields: Any = None
) -> ResponseReturnValue:
    """The control API's one error answer: ``{"error": {"code", "message"[, "fields"]}}``."""
    error: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        error["fields"] = fields
    return jsonify(error=error), status


def _control_error(error: ControlError) -> ResponseReturnValue:
    return json_error(error.status, error.code, error.message, error.details)


def _domain_error(error: GatewayError) -> ResponseReturnValue:
    return json_error(error.http_status, error.code, error.message)


def http_error(error: HTTPException) -> ResponseReturnValue:
    """A werkzeug HTTP error (404, 405, 413 ...) as the control API's JSON error."""
    code = (error.name or "Error").replace(" ", "")
    return json_error(error.code or 500, code, error.description)


def _refuse_unreadable_inputs() -> None:
    """Path parameters and query arguments with a control character are refused, naming the
    parameter, before any view uses them (PostgreSQL refuses NUL in a query)."""
    for where, values in (("path", request.view_args or {}), ("query", request.args)):
        texts = {name: value for name, value in values.items() if isinstance(value, str)}
        problem = first_unreadable(texts)
        if problem is not None:
            name, message = problem
            raise ControlError(
                400,
                "InvalidParameterValue",
                f"The {where} parameter {name!r} is invalid: {message}.",
                {name: [message]},
            )


def control_api(blueprint: Blueprint) -> None:
    """What every blueprint of the control API shares: every error answers JSON (its one error
    format), and path parameters and query arguments are checked before a view reads them."""
    blueprint.register_error_handler(ControlError, _control_error)
    blueprint.register_error_handler(GatewayError, _domain_error)
    blueprint.register_error_handler(HTTPException, http_error)
    blueprint.before_request(_refuse_unreadable_inputs)


control_api(bp)


def runtime() -> Runtime:
    rt: Runtime = current_app.extensions["gateway"]
    return rt


def body(schema: Schema) -> dict[str, Any]:
    """The JSON body validated by ``schema``; a bad one is a 400 naming each field.

    The one reader of the control API's request bodies. An empty body is ``{}``; anything that
    is not a JSON object of finite numbers is InvalidJson, however it fails (bad UTF-8, NaN,
    ``1e400``, nesting deep enough to exhaust the parser's recursion).
    """
    raw = request.get_data(cache=True)
    payload = _json_document(raw) if raw.strip() else {}
    if not isinstance(payload, dict):
        raise ControlError(400, "InvalidJson", "The request body must be a JSON object.")
    try:
        data: dict[str, Any] = schema.load(payload)
    except ValidationError as exc:
        raise ControlError(
            400,
            "ValidationError",
            "The request body is invalid.",
            exc.normalized_messages(),  # type: ignore[no-untyped-call]
        ) from None
    return data


def _json_document(raw: bytes) -> Any:
    try:
        return strict_json.loads(raw)
    except ValueError as exc:
        raise ControlError(
            400, "InvalidJson", f"The request body is not valid JSON: {exc}"
        ) from None


def row_id(name: str, column: QueryableAttribute[Any]) -> str:
    """A route's ``<int:name>`` part bounded to the ids ``column`` can hold: an id no row can
    have (2147483648 for an int4 column) matches no route and is a 404, not a database error."""
    least, most = row_id_range(column)
    return f"<int(min={least}, max={most}):{name}>"


def merchant_or_404(session: Session, seller_id: str) -> MerchantRecord:
    merchant = merchants.by_seller_id(session, seller_id)
    if merchant is None:
        raise ControlError(404, "MerchantNotFound", f"No merchant with seller id {seller_id}.")
    return merchant


def jsonable(value: Any) -> Any:
    """Wire views with datetimes as ISO strings, None values left out."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return timestamp(value)
    return value


def merchant_json(merchant: MerchantRecord, rt: Runtime) -> dict[str, Any]:
    base = rt.settings.resolved_public_url
    return {
        "seller_id": merchant.seller_id,
        "access_key": merchant.access_key,
        "secret_key": merchant.secret_key,
        **{name: getattr(merchant, name) for name in MERCHANT_SETTINGS},
        "clock": {
            "offset_seconds": merchant.clock_offset_seconds,
            "frozen_at": timestamp(merchant.clock_frozen_at) if merchant.clock_frozen_at else None,
        },
        "endpoints": {
            "offamazon_payments": f"{base}/OffAmazonPayments_Sandbox/2013-01-01",
            "fps": f"{base}/",
        },
    }


# --- schemas -------------------------------------------------------------------------------------


#: The most characters of what a buyer enters in the widget (names, addresses, phone, email),
#: kept as JSON on the order reference. A choice: Amazon documents no limits for them.
_WIDGET_TEXT = 256


def _widget_text(**kwargs: Any) -> Text:
    return Text(max_length=_WIDGET_TEXT, **kwargs)


class MerchantSettingsSchema(Schema):
    class Meta:
        unknown = RAISE

    name = Text(column=Merchant.name)
    store_name = Text(column=Merchant.store_name)
    ipn_url = HttpUrl(column=Merchant.ipn_url, allow_none=True)
    settle_delay_seconds = fields.Integer(validate=validate.Range(0, 90 * 24 * 3600))
    ipn_signature_version = fields.String(validate=validate.OneOf(["1", "2"]))
    ipn_retry_all = fields.Boolean()
    ipn_duplicate = fields.Boolean()
    ipn_reorder = fields.Boolean()


class NewMerchantSchema(MerchantSettingsSchema):
    seller_id = Text(column=Merchant.seller_id, validate=validate.Regexp(r"^[A-Z0-9]{6,}\Z"))
    access_key = Text(column=Merchant.access_key, validate=validate.Regexp(r"^[A-Za-z0-9]{16,}\Z"))
    secret_key = Text(column=Merchant.secret_key, min_length=16)


class BuyerSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    name = _widget_text(load_default="Sandbox Buyer")
    email = EmailAddress(load_default="buyer@example.com", max_length=_WIDGET_TEXT)
    phone = _widget_text(load_default="800-000-0000")


class DestinationSchema(Schema):
    class Meta:
        unknown = RAISE

    name = _widget_text(load_default="Sandbox Buyer")
    address_line1 = _widget_text(load_default="410 Terry Ave N")
    address_line2 = _widget_text()
    address_line3 = _widget_text()
    city = _widget_text(load_default="Seattle")
    county = _widget_text()
    district = _widget_text()
    state_or_region = _widget_text(load_default="WA")
    postal_code = _widget_text(load_default="98109")
    country_code = fields.String(load_default="US", validate=validate.Regexp(r"^[A-Z]{2}\Z"))
    phone = _widget_text(load_default="800-000-0000")


class PaymentMethodSchema(Schema):
    class Meta:
        unknown = RAISE

    name = _widget_text(load_default="Visa")
    account_number_tail = fields.String(
        load_default="11", validate=validate.Regexp(r"^[0-9]{2,4}\Z")
    )
    use_amazon_balance_first = fields.Boolean(load_default=False)


_DEFAULT_DESTINATION = DestinationSchema().load({})
_DEFAULT_PAYMENT = PaymentMethodSchema().load({})


class NewOrderReferenceSchema(Schema):
    class Meta:
        unknown = RAISE

    amount = Text()
    currency_code = fields.String(load_default="USD", validate=validate.Regexp(r"^[A-Z]{3}\Z"))
    seller_note = Text(max_length=1024)
    buyer = fields.Nested(BuyerSchema, load_default=lambda: BuyerSchema().load({}))
    #: ``null`` leaves it unset (the order reference then has a ShippingAddressNotSet constraint).
    destination = fields.Nested(
        DestinationSchema, allow_none=True, load_default=lambda: dict(_DEFAULT_DESTINATION)
    )
    #: ``null`` leaves it unset (PaymentPlanNotSet constraint).
    payment_method = fields.Nested(
        PaymentMethodSchema, allow_none=True, load_default=lambda: dict(_DEFAULT_PAYMENT)
    )


# --- routes --------------------------------------------------------------------------------------


@bp.get("/health")
def health() -> ResponseReturnValue:
    runtime().db.run(lambda session: session.execute(select(Merchant.id).limit(1)), write=False)
    return jsonify(status="ok")


@bp.post("/merchants")
def new_merchant() -> ResponseReturnValue:
    data = body(NewMerchantSchema())
    rt = runtime()

    def work(session: Session) -> dict[str, Any]:
        for unique in ("seller_id", "access_key"):
            taken = select(Merchant.id).filter_by(**{unique: data.get(unique)})
            if unique in data and session.scalar(taken) is not None:
                raise ControlError(409, "MerchantExists", f"A merchant with that {unique} exists.")
        merchant = create_merchant(session, rt.ids, rt.clock.now(), **data)
        return merchant_json(merchant, rt)

    return jsonify(rt.db.run(work)), 201


@bp.get("/merchants/<seller_id>")
def show_merchant(seller_id: str) -> ResponseReturnValue:
    rt = runtime()
    return jsonify(
        rt.db.run(lambda s: merchant_json(merchant_or_404(s, seller_id), rt), write=False)
    )


@bp.patch("/merchants/<seller_id>")
def update_merchant(seller_id: str) -> ResponseReturnValue:
    data = body(MerchantSettingsSchema())
    rt = runtime()

    def work(session: Session) -> dict[str, Any]:
        merchant = merchants.for_update(session, merchant_or_404(session, seller_id).id)
        for name, value in data.items():
            setattr(merchant, name, value)
        return merchant_json(merchants.as_record(merchant), rt)

    return jsonify(rt.db.run(work))


@bp.post("/merchants/<seller_id>/order-references")
def new_order_reference(seller_id: str) -> ResponseReturnValue:
    data = body(NewOrderReferenceSchema())
    rt = runtime()

    def work(session: Session) -> dict[str, Any]:
        ctx = rt.context(session, merchant_or_404(session, seller_id))
        oro = create_order_reference(
            ctx,
            buyer=data["buyer"],
            destination=data["destination"],
            payment_method=data["payment_method"],
            amount=data.get("amount"),
            currency=data["currency_code"] if data.get("amount") else None,
            seller_note=data.get("seller_note"),
        )
        return {
            "amazon_order_reference_id": oro.amazon_id,
            "state": oro.state,
            "details": jsonable(views.order_reference_details(oro)),
        }

    return jsonify(rt.db.run(work)), 201


@bp.get("/merchants/<seller_id>/order-references/<amazon_id>")
def show_order_reference(seller_id: str, amazon_id: str) -> ResponseReturnValue:
    rt = runtime()

    def work(session: Session) -> dict[str, Any]:
        oro = get_order_reference(
            rt.context(session, merchant_or_404(session, seller_id)), amazon_id
        )
        return {
            "amazon_order_reference_id": oro.amazon_id,
            "state": oro.state,
            "details": jsonable(views.order_reference_details(oro)),
        }

    return jsonify(rt.db.run(work, write=False))
