"""The request journal through the sandbox API: a merchant's signed requests, newest first, and
the requests whose access key belonged to no merchant (``gateway.wire.journal``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from gateway.api.sandbox import ControlError, control_api, jsonable, merchant_or_404, runtime
from gateway.store import journal
from gateway.store.models import JournalEntry

bp = Blueprint("journal", __name__, url_prefix="/sandbox/api/v1")
control_api(bp)

DEFAULT_LIMIT, MAX_LIMIT = 50, 500


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


def _page_args() -> tuple[int, int | None, str | None, bool | None]:
    try:
        limit = int(request.args.get("limit", DEFAULT_LIMIT))
        cursor = request.args.get("cursor")
        before = int(cursor) if cursor else None
    except ValueError:
        raise ControlError(400, "InvalidParameter", "limit and cursor must be integers.") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise ControlError(400, "InvalidParameter", f"limit must be 1 to {MAX_LIMIT}.")
    failed_arg = request.args.get("failed")
    if failed_arg not in (None, "true", "false"):
        raise ControlError(400, "InvalidParameter", "failed must be true or false.")
    failed = None if failed_arg is None else failed_arg == "true"
    return limit, before, request.args.get("action") or None, failed


def _page(merchant_id: int | None) -> dict[str, Any]:
    limit, before, action, failed = _page_args()
    ring = runtime().journal

    def work(session: Session) -> dict[str, Any]:
        rows = journal.page(
            session,
            merchant_id,
            limit=limit + 1,
            before=before,
            keep=ring.size,
            action=action,
            failed=failed,
        )
        shown = rows[:limit]
        return {
            "items": [entry_json(e) for e in shown],
            "next": str(shown[-1].id) if len(rows) > limit and shown else None,
        }

    return ring.db.run(work, write=False)


@bp.get("/merchants/<seller_id>/journal")
def merchant_journal(seller_id: str) -> ResponseReturnValue:
    """The merchant's signed requests, newest first (``limit``, ``cursor``; ``action`` and
    ``failed=true|false`` filter)."""
    merchant_id = runtime().db.run(lambda s: merchant_or_404(s, seller_id).id, write=False)
    return jsonify(_page(merchant_id))


@bp.get("/journal")
def unattributed_journal() -> ResponseReturnValue:
    """Signed requests whose access key belonged to no merchant, newest first."""
    return jsonify(_page(None))
