"""Sandbox control API for FPS (JSON, under ``/sandbox/api/v1/merchants/<seller_id>/fps``).

What a buyer does on Amazon's co-branded pages (install a payment token for the merchant, the
FPS caller) and what a tester needs (the merchant's FPS fee schedule, a transaction's
bookkeeping). Errors are JSON, as in the rest of the control API (``gateway.api.sandbox``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy.orm import Session

from gateway.api.sandbox import (
    ControlError,
    PageQuerySchema,
    body,
    control_api,
    jsonable,
    merchant_or_404,
    next_cursor,
    paged,
    query,
    runtime,
)
from gateway.domain.lifecycle import Context
from gateway.domain.money import format_amount, parse_amount
from gateway.fps import store, tokens, transactions, views
from gateway.fps.fees import schedule_for
from gateway.fps.models import FpsAccount, FpsToken, FpsTransaction
from gateway.fps.states import TokenType
from gateway.values import EmailAddress, StorableDateTime, Text

bp = Blueprint("fps_sandbox", __name__, url_prefix="/sandbox/api/v1/merchants/<seller_id>/fps")
control_api(bp)

_OUTCOME = validate.OneOf(["Success", "Failure"])
_AMOUNT = validate.Regexp(r"^[0-9]{1,6}(\.[0-9]{1,2})?\Z", error="must be an amount like 10.00")


class FpsBuyerSchema(Schema):
    class Meta:
        unknown = RAISE

    name = Text(column=FpsToken.buyer_name, load_default="Test Buyer")
    email = EmailAddress(column=FpsToken.buyer_email, load_default="buyer@example.com")


class LimitsSchema(Schema):
    class Meta:
        unknown = RAISE

    #: Most one payment may charge (a Recurring token's amount per period).
    max_transaction_amount = Text(validate=_AMOUNT)
    #: Most all payments together may charge (MultiUse, Prepaid, Postpaid).
    total_amount = Text(validate=_AMOUNT)
    valid_until = StorableDateTime()


class SimulationSchema(Schema):
    class Meta:
        unknown = RAISE

    pay = fields.String(load_default="Success", validate=_OUTCOME)
    refund = fields.String(load_default="Success", validate=_OUTCOME)


class NewFpsTokenSchema(Schema):
    class Meta:
        unknown = RAISE

    token_type = fields.String(required=True, validate=validate.OneOf([t.value for t in TokenType]))
    caller_reference = Text(column=FpsToken.caller_reference, min_length=1)
    friendly_name = Text(column=FpsToken.friendly_name)
    payment_reason = Text(max_length=1024)
    #: CC and ACH payments settle after the merchant's settle delay; ABT at once.
    payment_method = fields.String(load_default="CC", validate=validate.OneOf(["CC", "ACH", "ABT"]))
    buyer = fields.Nested(FpsBuyerSchema, load_default=lambda: FpsBuyerSchema().load({}))
    limits = fields.Nested(LimitsSchema, load_default=dict)
    #: Sandbox outcomes of payments with this token and of their refunds.
    simulation = fields.Nested(SimulationSchema, load_default=lambda: SimulationSchema().load({}))


class FpsTokenSchema(Schema):
    TokenId = fields.String(required=True)
    FriendlyName = fields.String()
    TokenStatus = fields.String(required=True)
    DateInstalled = fields.DateTime(required=True)
    CallerReference = fields.String(required=True)
    TokenType = fields.String(required=True)
    PaymentReason = fields.String()
    payment_method = fields.String(required=True)
    used_amount = fields.String(required=True)
    use_count = fields.Integer(required=True)


class FpsTokenPageSchema(Schema):
    items = fields.List(fields.Nested(FpsTokenSchema), required=True)
    next = next_cursor()


class FpsAccountSchema(Schema):
    fee_percent = fields.String(required=True, metadata={"description": "e.g. 2.9"})
    fee_fixed = fields.String(required=True, metadata={"description": "e.g. 0.30"})


class FpsTransactionSchema(Schema):
    TransactionId = fields.String(required=True)
    TransactionStatus = fields.String(required=True)
    CallerReference = fields.String(required=True)
    StatusCode = fields.String(required=True)
    StatusMessage = fields.String(required=True)
    operation = fields.String(required=True)
    amount = fields.String(required=True)
    fps_fee = fields.String(required=True)
    fee_paid_by = fields.String(required=True)
    marketplace_fee = fields.String(required=True)
    marketplace_refund_policy = fields.String(required=True, allow_none=True)
    refunded_amount = fields.String(required=True)
    fps_fee_refunded = fields.String(required=True)
    marketplace_fee_refunded = fields.String(required=True)
    original_transaction_id = fields.String(required=True, allow_none=True)
    due_at = fields.DateTime(required=True, allow_none=True)


class AccountSchema(Schema):
    class Meta:
        unknown = RAISE

    #: The variable FPS fee in percent of the amount, at most two decimals ("2.9").
    fee_percent = fields.Decimal(
        required=True,
        places=2,
        validate=validate.Range(Decimal(0), Decimal(100)),
        # As JSON numbers in the document (apispec would write the Decimal bounds as strings).
        metadata={"minimum": 0, "maximum": 100},
    )
    fee_fixed = Text(required=True, validate=_AMOUNT)


def _minor(text: str | None, field: str) -> int | None:
    return None if text is None else parse_amount(text, "USD", field)


def _token_json(token: FpsToken) -> dict[str, Any]:
    data: dict[str, Any] = jsonable(views.token(token))
    data.update(
        payment_method=token.payment_method,
        used_amount=format_amount(token.used_minor, "USD"),
        use_count=token.use_count,
    )
    return data


def _in_context(seller_id: str, work: Any, *, write: bool = True) -> Any:
    rt = runtime()

    def run(session: Session) -> Any:
        return work(rt.context(session, merchant_or_404(session, seller_id)))

    return rt.db.run(run, write=write)


@bp.post("/tokens")
def install_token(seller_id: str) -> ResponseReturnValue:
    """Install a buyer's FPS payment token for the merchant (as Amazon's co-branded pages do).
    ---
    tags: [fps]
    requestBody:
      required: true
      content:
        application/json:
          schema: NewFpsTokenSchema
    responses:
      201:
        description: The token.
        content:
          application/json:
            schema: FpsTokenSchema
      409:
        description: A token with that caller_reference exists.
    """
    data = body(NewFpsTokenSchema)
    limits, simulation, buyer = data["limits"], data["simulation"], data["buyer"]

    def work(ctx: Context) -> dict[str, Any]:
        reference = data.get("caller_reference")
        if reference is not None and tokens.token_by_reference(ctx, reference) is not None:
            raise ControlError(
                409, "DuplicateCallerReference", f"A token with CallerReference {reference} exists."
            )
        token = tokens.install_token(
            ctx,
            token_type=data["token_type"],
            caller_reference=reference,
            friendly_name=data.get("friendly_name"),
            payment_reason=data.get("payment_reason"),
            payment_method=data["payment_method"],
            buyer_name=buyer["name"],
            buyer_email=buyer["email"],
            max_transaction_minor=_minor(limits.get("max_transaction_amount"), "limits"),
            total_limit_minor=_minor(limits.get("total_amount"), "limits"),
            valid_until=limits.get("valid_until"),
            pay_outcome=simulation["pay"],
            refund_outcome=simulation["refund"],
        )
        return _token_json(token)

    return jsonify(_in_context(seller_id, work)), 201


@bp.get("/tokens")
def list_tokens(seller_id: str) -> ResponseReturnValue:
    """List the merchant's FPS payment tokens, newest first.
    ---
    tags: [fps]
    parameters:
      - in: query
        schema: PageQuerySchema
    responses:
      200:
        description: A page of tokens.
        content:
          application/json:
            schema: FpsTokenPageSchema
    """
    args = query(PageQuerySchema)

    def rows(session: Session) -> Any:
        merchant = merchant_or_404(session, seller_id)
        return store.token_page(
            session, merchant.id, cursor=args.get("cursor"), limit=args["limit"]
        )

    return jsonify(paged(rows, lambda _session, token: _token_json(token)))


def _account_json(ctx: Context) -> dict[str, Any]:
    schedule = schedule_for(ctx.session, ctx.merchant.id)
    return {
        "fee_percent": str(Decimal(schedule.basis_points) / 100),
        "fee_fixed": format_amount(schedule.fixed_minor, "USD"),
    }


@bp.get("/account")
def show_account(seller_id: str) -> ResponseReturnValue:
    """The merchant's FPS fee schedule.
    ---
    tags: [fps]
    responses:
      200:
        description: The fee schedule.
        content:
          application/json:
            schema: FpsAccountSchema
    """
    return jsonify(_in_context(seller_id, _account_json, write=False))


@bp.put("/account")
def set_account(seller_id: str) -> ResponseReturnValue:
    """Set the merchant's FPS fee schedule.
    ---
    tags: [fps]
    requestBody:
      required: true
      content:
        application/json:
          schema: AccountSchema
    responses:
      200:
        description: The fee schedule as set.
        content:
          application/json:
            schema: FpsAccountSchema
    """
    data = body(AccountSchema)

    def work(ctx: Context) -> dict[str, Any]:
        account = store.account_of(ctx.session, ctx.merchant.id)
        if account is None:
            account = FpsAccount(merchant_id=ctx.merchant.id)
            ctx.session.add(account)
        account.fee_basis_points = int(data["fee_percent"] * 100)
        # The schema allows at most two decimals, so this is exact (and may be zero).
        account.fee_fixed_minor = int(Decimal(data["fee_fixed"]) * 100)
        ctx.session.flush()
        return _account_json(ctx)

    return jsonify(_in_context(seller_id, work))


def _transaction_json(txn: FpsTransaction) -> dict[str, Any]:
    usd = "USD"
    return {
        **jsonable(views.transaction_status(txn)),
        "operation": txn.operation,
        "amount": format_amount(txn.amount_minor, usd),
        "fps_fee": format_amount(txn.fee_minor, usd),
        "fee_paid_by": txn.fee_payer,
        "marketplace_fee": format_amount(txn.marketplace_fee_minor, usd),
        "marketplace_refund_policy": txn.marketplace_refund_policy,
        "refunded_amount": format_amount(txn.refund_reserved_minor, usd),
        "fps_fee_refunded": format_amount(txn.fee_refunded_minor, usd),
        "marketplace_fee_refunded": format_amount(txn.marketplace_fee_refunded_minor, usd),
        "original_transaction_id": txn.original.amazon_id if txn.original else None,
        "due_at": jsonable(txn.due_at),
    }


@bp.get("/transactions/<transaction_id>")
def show_transaction(seller_id: str, transaction_id: str) -> ResponseReturnValue:
    """An FPS transaction's bookkeeping: status, amounts, fees and what was refunded.
    ---
    tags: [fps]
    responses:
      200:
        description: The transaction.
        content:
          application/json:
            schema: FpsTransactionSchema
    """

    def work(ctx: Context) -> dict[str, Any]:
        return _transaction_json(transactions.get_transaction(ctx, transaction_id))

    return jsonify(_in_context(seller_id, work, write=False))
