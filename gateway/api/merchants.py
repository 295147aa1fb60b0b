"""Sandbox API: merchants (list, create, read, change settings), their API tokens, and health.

JSON under ``/sandbox/api/v1``; shared plumbing (errors, body and query readers, pages) in
``gateway.api.sandbox``, the token check in ``gateway.api.auth``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.api.auth import merchant_tokens_allowed, public
from gateway.api.sandbox import (
    ControlError,
    PageQuerySchema,
    body,
    control_api,
    merchant_or_404,
    next_cursor,
    paged,
    principal,
    query,
    row_id,
    runtime,
)
from gateway.domain.merchants import (
    MERCHANT_SETTINGS,
    MOST_REFUND_PROCESSING_FAILURES,
    create_merchant,
)
from gateway.domain.records import MerchantRecord
from gateway.runtime import Runtime
from gateway.store import listings, merchants
from gateway.store.models import ApiToken, Merchant
from gateway.tokens import create_merchant_token, delete_merchant_token
from gateway.values import HttpUrl, Text
from gateway.wire.render import timestamp

bp = Blueprint("merchants", __name__, url_prefix="/sandbox/api/v1")
control_api(bp)

TOKEN = f"/merchants/<seller_id>/tokens/{row_id('token_id', ApiToken.id)}"


# --- schemas -------------------------------------------------------------------------------------


class MerchantSettingsSchema(Schema):
    class Meta:
        unknown = RAISE

    name = Text(column=Merchant.name)
    store_name = Text(column=Merchant.store_name)
    ipn_url = HttpUrl(
        column=Merchant.ipn_url,
        allow_none=True,
        metadata={"description": "Where this merchant's IPNs are posted; null: nowhere."},
    )
    settle_delay_seconds = fields.Integer(
        validate=validate.Range(0, 90 * 24 * 3600),
        metadata={"description": "Simulated seconds a Pending refund takes to settle."},
    )
    refund_processing_failures = fields.Integer(
        strict=True,
        validate=validate.Range(0, MOST_REFUND_PROCESSING_FAILURES),
        metadata={
            "description": "How many of the merchant's next refunds decline ProcessingFailure "
            "(an internal error at Amazon); each refund takes one."
        },
    )
    ipn_signature_version = fields.String(validate=validate.OneOf(["1", "2"]))
    ipn_retry_all = fields.Boolean()
    ipn_duplicate = fields.Boolean()
    ipn_reorder = fields.Boolean()


class NewMerchantSchema(MerchantSettingsSchema):
    seller_id = Text(column=Merchant.seller_id, validate=validate.Regexp(r"^[A-Z0-9]{6,}\Z"))
    access_key = Text(column=Merchant.access_key, validate=validate.Regexp(r"^[A-Za-z0-9]{16,}\Z"))
    secret_key = Text(column=Merchant.secret_key, min_length=16)


class MerchantClockSchema(Schema):
    offset_seconds = fields.Float(required=True)
    frozen_at = fields.DateTime(required=True, allow_none=True)


class MerchantEndpointsSchema(Schema):
    offamazon_payments = fields.String(required=True)
    fps = fields.String(required=True)


class MerchantSchema(Schema):
    seller_id = fields.String(required=True)
    access_key = fields.String(required=True)
    secret_key = fields.String(required=True)
    name = fields.String(required=True)
    store_name = fields.String(required=True)
    ipn_url = fields.String(required=True, allow_none=True)
    settle_delay_seconds = fields.Integer(required=True)
    refund_processing_failures = fields.Integer(required=True)
    ipn_signature_version = fields.String(required=True)
    ipn_retry_all = fields.Boolean(required=True)
    ipn_duplicate = fields.Boolean(required=True)
    ipn_reorder = fields.Boolean(required=True)
    throttling = fields.String(
        required=True,
        metadata={
            "description": "off, sandbox or production: Amazon's request quotas applied "
            "(changed through /merchants/{seller_id}/throttling)."
        },
    )
    clock = fields.Nested(MerchantClockSchema, required=True)
    endpoints = fields.Nested(MerchantEndpointsSchema, required=True)


class MerchantListQuerySchema(PageQuerySchema):
    q = Text(
        max_length=128,
        metadata={"description": "Part of the seller id, name or store name (any case)."},
    )


class MerchantPageSchema(Schema):
    items = fields.List(fields.Nested(MerchantSchema), required=True)
    next = next_cursor()


class HealthSchema(Schema):
    status = fields.String(required=True)


class NewApiTokenSchema(Schema):
    class Meta:
        unknown = RAISE

    name = Text(column=ApiToken.name, load_default="", metadata={"description": "What it is for."})


class ApiTokenSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    prefix = fields.String(required=True, metadata={"description": "The token's first characters."})
    created_at = fields.DateTime(required=True)


class NewApiTokenAnswerSchema(ApiTokenSchema):
    token = fields.String(
        required=True, metadata={"description": "The token: shown this once, stored hashed."}
    )


class ApiTokenPageSchema(Schema):
    items = fields.List(fields.Nested(ApiTokenSchema), required=True)
    next = next_cursor()


def merchant_json(merchant: MerchantRecord, rt: Runtime) -> dict[str, Any]:
    base = rt.settings.resolved_public_url
    return {
        "seller_id": merchant.seller_id,
        "access_key": merchant.access_key,
        "secret_key": merchant.secret_key,
        **{name: getattr(merchant, name) for name in MERCHANT_SETTINGS},
        "throttling": merchant.throttling,
        "clock": {
            "offset_seconds": merchant.clock_offset_seconds,
            "frozen_at": timestamp(merchant.clock_frozen_at) if merchant.clock_frozen_at else None,
        },
        "endpoints": {
            "offamazon_payments": f"{base}/OffAmazonPayments_Sandbox/2013-01-01",
            "fps": f"{base}/",
        },
    }


def token_json(row: ApiToken) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "prefix": row.prefix,
        "created_at": timestamp(row.created_at),
    }


# --- routes --------------------------------------------------------------------------------------


@bp.get("/health")
@public
def health() -> ResponseReturnValue:
    """Readiness: 200 once the database answers.
    ---
    tags: [service]
    responses:
      200:
        description: The server and its database answer.
        content:
          application/json:
            schema: HealthSchema
    """
    runtime().db.run(lambda session: session.execute(select(Merchant.id).limit(1)), write=False)
    return jsonify(status="ok")


@bp.get("/merchants")
@merchant_tokens_allowed
def list_merchants() -> ResponseReturnValue:
    """List merchants, newest first.

    With a merchant token, the list holds that merchant only.
    ---
    tags: [merchants]
    parameters:
      - in: query
        schema: MerchantListQuerySchema
    responses:
      200:
        description: A page of merchants.
        content:
          application/json:
            schema: MerchantPageSchema
    """
    args = query(MerchantListQuerySchema)
    rt, who = runtime(), principal()
    return jsonify(
        paged(
            lambda session: listings.merchants(
                session,
                search=args.get("q"),
                only_id=who.merchant_id,
                cursor=args.get("cursor"),
                limit=args["limit"],
            ),
            lambda _session, merchant: merchant_json(merchant, rt),
        )
    )


@bp.post("/merchants")
def new_merchant() -> ResponseReturnValue:
    """Create a merchant.

    Credentials are generated unless given (fixed ones make a fixture reproducible).
    ---
    tags: [merchants]
    requestBody:
      content:
        application/json:
          schema: NewMerchantSchema
    responses:
      201:
        description: The new merchant, with its credentials and endpoints.
        content:
          application/json:
            schema: MerchantSchema
      409:
        description: A merchant with that seller_id or access_key exists.
    """
    data = body(NewMerchantSchema)
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
    """A merchant: credentials, settings, clock and endpoints.
    ---
    tags: [merchants]
    responses:
      200:
        description: The merchant.
        content:
          application/json:
            schema: MerchantSchema
    """
    rt = runtime()
    return jsonify(
        rt.db.run(lambda s: merchant_json(merchant_or_404(s, seller_id), rt), write=False)
    )


@bp.patch("/merchants/<seller_id>")
def update_merchant(seller_id: str) -> ResponseReturnValue:
    """Change a merchant's settings.
    ---
    tags: [merchants]
    requestBody:
      content:
        application/json:
          schema: MerchantSettingsSchema
    responses:
      200:
        description: The merchant as changed.
        content:
          application/json:
            schema: MerchantSchema
    """
    data = body(MerchantSettingsSchema)
    rt = runtime()

    def work(session: Session) -> dict[str, Any]:
        merchant = merchants.for_update(session, merchant_or_404(session, seller_id).id)
        for name, value in data.items():
            setattr(merchant, name, value)
        return merchant_json(merchants.as_record(merchant), rt)

    return jsonify(rt.db.run(work))


@bp.get("/merchants/<seller_id>/tokens")
def list_tokens(seller_id: str) -> ResponseReturnValue:
    """List a merchant's API tokens (without the tokens themselves), newest first.
    ---
    tags: [tokens]
    parameters:
      - in: query
        schema: PageQuerySchema
    responses:
      200:
        description: A page of tokens.
        content:
          application/json:
            schema: ApiTokenPageSchema
    """
    args = query(PageQuerySchema)

    def rows(session: Session) -> Any:
        merchant = merchant_or_404(session, seller_id)
        return listings.api_tokens(
            session, merchant.id, cursor=args.get("cursor"), limit=args["limit"]
        )

    return jsonify(paged(rows, lambda _session, token: token_json(token)))


@bp.post("/merchants/<seller_id>/tokens")
def new_token(seller_id: str) -> ResponseReturnValue:
    """Make an API token for one merchant.

    The token reaches this merchant's objects only. It is in this answer once and stored as a
    digest: keep it.
    ---
    tags: [tokens]
    requestBody:
      content:
        application/json:
          schema: NewApiTokenSchema
    responses:
      201:
        description: The token.
        content:
          application/json:
            schema: NewApiTokenAnswerSchema
    """
    name = body(NewApiTokenSchema)["name"]
    rt = runtime()

    def work(session: Session) -> dict[str, Any]:
        merchant = merchant_or_404(session, seller_id)
        row, token = create_merchant_token(session, merchant.id, name, rt.clock.now())
        return {**token_json(row), "token": token}

    return jsonify(rt.db.run(work)), 201


@bp.delete(TOKEN)
def delete_token(seller_id: str, token_id: int) -> ResponseReturnValue:
    """Revoke one of a merchant's API tokens, at once.
    ---
    tags: [tokens]
    responses:
      204:
        description: Revoked.
    """

    def work(session: Session) -> None:
        merchant = merchant_or_404(session, seller_id)
        if not delete_merchant_token(session, merchant.id, token_id):
            raise ControlError(404, "TokenNotFound", f"No token {token_id} of {seller_id}.")

    runtime().db.run(work)
    return "", 204
