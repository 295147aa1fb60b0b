"""The request journal through the sandbox API: a merchant's signed requests, newest first, and
the requests whose access key belonged to no merchant (``gateway.wire.journal``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import Session

from gateway.api.sandbox import (
    PageQuerySchema,
    control_api,
    jsonable,
    merchant_or_404,
    query,
    runtime,
)
from gateway.store import journal
from gateway.store.models import JournalEntry
from gateway.values import Text

bp = Blueprint("journal", __name__, url_prefix="/sandbox/api/v1")
control_api(bp)


def entry_json(entry: JournalEntry) -> dict[str, Any]:
    result: dict[str, Any] = jsonable(
        {
            "id": entry.id,
            "received_at": entry.received_at,
            "service": entry.service,
            "action": entry.action,
            "parameters": entry.parameters,
            "status": entry.status,
            "error_code": entry.error_code,
            "error_message": entry.error_message,
            "latency_ms": entry.latency_ms,
            "request_id": entry.request_id,
            "string_to_sign": entry.string_to_sign,
        }
    )
    return result


class JournalQuerySchema(PageQuerySchema):
    #: The ``next`` of the page before: the journal lives in a database of its own
    #: (``gateway.wire.journal``), so it pages by entry id rather than ``gateway.store.paging``.
    cursor = fields.Integer(validate=validate.Range(1, 2**63 - 1))  # type: ignore[assignment]
    action = Text(column=JournalEntry.action)
    #: true: failed requests only; false: answered ones only.
    failed = fields.Boolean()


class JournalEntrySchema(Schema):
    id = fields.Integer()
    received_at = fields.String()
    service = fields.String()
    action = fields.String()
    parameters = fields.Dict(metadata={"description": "Signature and secrets redacted"})
    status = fields.Integer()
    error_code = fields.String()
    error_message = fields.String()
    latency_ms = fields.Float()
    request_id = fields.String()
    string_to_sign = fields.String(
        metadata={"description": "For a signature that did not match: the server's"}
    )


class JournalPageSchema(Schema):
    items = fields.List(fields.Nested(JournalEntrySchema))
    next = fields.String(allow_none=True)


def _page(merchant_id: int | None, args: dict[str, Any]) -> dict[str, Any]:
    limit = args["limit"]
    ring = runtime().journal

    def work(session: Session) -> dict[str, Any]:
        rows = journal.page(
            session,
            merchant_id,
            limit=limit + 1,
            before=args.get("cursor"),
            keep=ring.size,
            action=args.get("action"),
            failed=args.get("failed"),
        )
        shown = rows[:limit]
        return {
            "items": [entry_json(e) for e in shown],
            "next": str(shown[-1].id) if len(rows) > limit and shown else None,
        }

    return ring.db.run(work, write=False)


@bp.get("/merchants/<seller_id>/journal")
def merchant_journal(seller_id: str) -> ResponseReturnValue:
    """The merchant's signed requests, newest first.
    ---
    tags: [journal]
    parameters:
      - {in: path, name: seller_id, required: true, schema: {type: string}}
      - in: query
        schema: JournalQuerySchema
    responses:
      200:
        description: A page of the merchant's journal.
        content:
          application/json:
            schema: JournalPageSchema
      400:
        description: A bad query argument.
      404:
        description: No such merchant.
    """
    args = query(JournalQuerySchema)
    merchant_id = runtime().db.run(lambda s: merchant_or_404(s, seller_id).id, write=False)
    return jsonify(_page(merchant_id, args))


@bp.get("/journal")
def unattributed_journal() -> ResponseReturnValue:
    """Signed requests whose access key belonged to no merchant, newest first.
    ---
    tags: [journal]
    parameters:
      - in: query
        schema: JournalQuerySchema
    responses:
      200:
        description: A page of the journal of no merchant.
        content:
          application/json:
            schema: JournalPageSchema
      400:
        description: A bad query argument.
    """
    return jsonify(_page(None, query(JournalQuerySchema)))
