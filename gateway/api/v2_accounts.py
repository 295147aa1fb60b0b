"""Sandbox API: a merchant's API v2 account: its public keys, and buyer tokens (Amazon Sign-In).

JSON under ``/sandbox/api/v1``. Keys as Seller Central makes them (``gateway.v2.keys``): made
here with the private key in the answer once, or registered from an uploaded public key. A buyer
token is what Amazon Sign-In gives the merchant for a buyer; Get Buyer answers its buyer
(``gateway.v2.buyers``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy.orm import Session

from gateway.api.orders import BuyerSchema, DestinationSchema
from gateway.api.sandbox import ControlError, body, control_api, merchant_or_404, runtime
from gateway.v2 import buyers, keys
from gateway.v2.account_models import V2PublicKey
from gateway.values import Text
from gateway.wire.render import timestamp

bp = Blueprint("v2_accounts", __name__, url_prefix="/sandbox/api/v1")
control_api(bp)

#: A PEM public key is a few hundred characters; a 16384-bit one about 2,900.
_PEM_CHARACTERS = 8192


class NewV2KeySchema(Schema):
    class Meta:
        unknown = RAISE

    environment = fields.String(
        load_default="sandbox",
        validate=validate.OneOf(["sandbox", "live", "any"]),
        metadata={
            "description": "sandbox: a SANDBOX- id, live: a LIVE- id (the SDKs then call "
            "/v2/), any: an id without prefix, for /sandbox/v2/ and /live/v2/."
        },
    )
    name = Text(column=V2PublicKey.name, load_default="", metadata={"description": "A label."})
    public_key_pem = fields.String(
        validate=validate.Length(max=_PEM_CHARACTERS),
        metadata={
            "description": "An RSA public key (PEM) of a key pair you made; without it, the "
            "simulator makes the key pair and answers the private key once."
        },
    )


class V2KeySchema(Schema):
    public_key_id = fields.String(required=True)
    environment = fields.String(
        required=True, allow_none=True, metadata={"description": "sandbox, live, or null (any)."}
    )
    name = fields.String(required=True)
    public_key_pem = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class NewV2KeyAnswerSchema(V2KeySchema):
    private_key_pem = fields.String(
        metadata={"description": "The private key (PKCS#8 PEM): in this answer once, never kept."}
    )


class V2KeyListSchema(Schema):
    items = fields.List(fields.Nested(V2KeySchema), required=True)


class NewV2BuyerTokenSchema(Schema):
    class Meta:
        unknown = RAISE

    buyer = fields.Nested(BuyerSchema, load_default=lambda: BuyerSchema().load({}))
    shipping_address = fields.Nested(
        DestinationSchema, allow_none=True, load_default=lambda: DestinationSchema().load({})
    )
    billing_address = fields.Nested(DestinationSchema, allow_none=True, load_default=None)


class V2BuyerTokenAnswerSchema(Schema):
    buyer_token = fields.String(required=True)
    buyer = fields.Dict(required=True, metadata={"description": "What Get Buyer answers."})


def key_json(row: V2PublicKey) -> dict[str, Any]:
    return {
        "public_key_id": row.public_key_id,
        "environment": row.environment,
        "name": row.name,
        "public_key_pem": row.public_key_pem,
        "created_at": timestamp(row.created_at),
    }


@bp.get("/merchants/<seller_id>/v2-keys")
def list_v2_keys(seller_id: str) -> ResponseReturnValue:
    """List a merchant's API v2 public keys, newest first.
    ---
    tags: [v2]
    responses:
      200:
        description: The keys (public parts only).
        content:
          application/json:
            schema: V2KeyListSchema
    """

    def rows(session: Session) -> list[dict[str, Any]]:
        merchant = merchant_or_404(session, seller_id)
        return [key_json(row) for row in keys.merchant_keys(session, merchant.id)]

    return jsonify(items=runtime().db.run(rows, write=False))


@bp.post("/merchants/<seller_id>/v2-keys")
def new_v2_key(seller_id: str) -> ResponseReturnValue:
    """Make an API v2 key pair for a merchant, or register the public key of one it made.

    Made here, the private key is in this answer once and never kept (as in Seller Central):
    keep it, and sign with it and the public key id.
    ---
    tags: [v2]
    requestBody:
      content:
        application/json:
          schema: NewV2KeySchema
    responses:
      201:
        description: The key; private_key_pem when it was made here.
        content:
          application/json:
            schema: NewV2KeyAnswerSchema
      400:
        description: The uploaded PEM is not an RSA public key.
    """
    data = body(NewV2KeySchema)
    environment = None if data["environment"] == "any" else data["environment"]
    rt = runtime()

    def work(session: Session) -> dict[str, Any]:
        merchant = merchant_or_404(session, seller_id)
        now = rt.clock.now()
        if "public_key_pem" in data:
            try:
                row = keys.register_key(
                    session,
                    rt.ids,
                    merchant.id,
                    data["public_key_pem"],
                    now,
                    environment=environment,
                    name=data["name"],
                )
            except keys.InvalidPublicKey as exc:
                raise ControlError(400, "InvalidPublicKey", f"public_key_pem: {exc}") from None
            return key_json(row)
        row, private_pem = keys.create_key(
            session, rt.ids, merchant.id, now, environment=environment, name=data["name"]
        )
        return {**key_json(row), "private_key_pem": private_pem}

    return jsonify(rt.db.run(work)), 201


@bp.delete("/merchants/<seller_id>/v2-keys/<public_key_id>")
def delete_v2_key(seller_id: str, public_key_id: str) -> ResponseReturnValue:
    """Delete one of a merchant's API v2 keys: requests signed with it are refused at once.
    ---
    tags: [v2]
    responses:
      204:
        description: Deleted.
    """

    def work(session: Session) -> None:
        merchant = merchant_or_404(session, seller_id)
        if not keys.delete_key(session, merchant.id, public_key_id):
            raise ControlError(404, "KeyNotFound", f"No v2 key {public_key_id} of {seller_id}.")

    runtime().db.run(work)
    return "", 204


@bp.post("/merchants/<seller_id>/v2-buyer-tokens")
def new_v2_buyer_token(seller_id: str) -> ResponseReturnValue:
    """A buyer signs in with Amazon (Amazon Sign-In): a buyer token for Get Buyer.
    ---
    tags: [v2]
    requestBody:
      content:
        application/json:
          schema: NewV2BuyerTokenSchema
    responses:
      201:
        description: The buyer token and the buyer Get Buyer answers.
        content:
          application/json:
            schema: V2BuyerTokenAnswerSchema
    """
    data = body(NewV2BuyerTokenSchema)
    rt = runtime()

    def work(session: Session) -> dict[str, Any]:
        merchant = merchant_or_404(session, seller_id)
        details = buyers.details_from_sandbox(
            data["buyer"], data["shipping_address"], data["billing_address"]
        )
        token = buyers.issue_buyer_token(session, rt.ids, merchant.id, details, rt.clock.now())
        row = buyers.find_buyer(session, merchant.id, token)
        assert row is not None
        return {"buyer_token": token, "buyer": buyers.buyer_json(row)}

    return jsonify(rt.db.run(work)), 201
