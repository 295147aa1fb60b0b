"""What every view of the sandbox control API (JSON under ``/sandbox/api/v1``) shares.

- One error shape: ``{"error": {"code": ..., "message": ..., "fields"?: {...}}}`` with a
  matching HTTP status, the message naming the field at fault, and path parameters and query
  arguments checked for control characters before a view reads them (``control_api`` installs
  both on a blueprint).
- One JSON body reader, ``body(SchemaClass)``, and one query reader, ``query(SchemaClass)``:
  the same marshmallow classes the views' OpenAPI docstrings name (``gateway.api.openapi``), so
  the document cannot drift from what is accepted (``tests/api/test_openapi.py`` checks each
  view calls the one its docstring names).
- Pages of a list: ``{"items": [...], "next": cursor or null}`` (``gateway.store.paging``).
- Who the caller is (``principal()``, set by ``gateway.api.auth``) and the merchant a path
  names (``merchant_or_404``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from flask import Blueprint, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy.orm import QueryableAttribute, Session
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from gateway import strict_json
from gateway.domain.records import MerchantRecord
from gateway.errors import GatewayError
from gateway.runtime import Runtime
from gateway.store import merchants
from gateway.store.paging import DEFAULT_LIMIT, MAX_LIMIT, InvalidCursor, Page
from gateway.tokens import ADMIN, Principal
from gateway.values import Text, first_unreadable, row_id_range
from gateway.wire.render import timestamp

T = TypeVar("T")

API_PREFIX = "/sandbox/api/v1"


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
    response = jsonify(error={"code": code, "message": error.description})
    response.status_code = error.code or 500
    if error.code == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(sorted(error.valid_methods))  # type: ignore[attr-defined]
    return response


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


def runtime() -> Runtime:
    rt: Runtime = current_app.extensions["gateway"]
    return rt


def principal() -> Principal:
    """Who this request acts as (``gateway.api.auth`` sets it before the view runs)."""
    who: Principal = g.get("principal", ADMIN)
    return who


# --- reading requests ----------------------------------------------------------------------------


def _field_errors(messages: Any, path: str = "") -> Iterable[str]:
    if isinstance(messages, dict):
        for name, inner in messages.items():
            yield from _field_errors(inner, f"{path}.{name}" if path else str(name))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        yield f"{path or 'body'}: {' '.join(messages)}"
    elif isinstance(messages, list):
        for item in messages:
            yield from _field_errors(item, path)
    else:
        yield f"{path or 'body'}: {messages}"


def _invalid(where: str, error: ValidationError) -> ControlError:
    details = error.normalized_messages()  # type: ignore[no-untyped-call]
    problems = list(_field_errors(details))
    shown = "; ".join(problems[:3]) + ("; ..." if len(problems) > 3 else "")
    return ControlError(400, "ValidationError", f"Invalid {where}: {shown}", details)


def body(schema_class: type[Schema] | Schema) -> dict[str, Any]:
    """The JSON body, validated by ``schema_class`` (or a schema made with what it checks
    against); an empty body is ``{}``.

    The one reader of the control API's request bodies. A body must be sent as
    ``Content-Type: application/json`` (or ``application/*+json``): any other type is refused
    with 415 rather than read some other way or ignored (a form body would otherwise vanish into
    ``request.form``). Anything that is not a JSON object of finite numbers is InvalidJson,
    however it fails (bad UTF-8, NaN, ``1e400``, nesting deep enough to exhaust the parser).
    """
    raw = request.get_data(cache=True, parse_form_data=False)
    if not raw.strip():
        payload: Any = {}
    elif not request.is_json:
        raise ControlError(
            415,
            "UnsupportedMediaType",
            f"The request body must be JSON sent with Content-Type: application/json "
            f"(it was sent as {request.mimetype or 'no Content-Type'}).",
        )
    else:
        try:
            payload = strict_json.loads(raw)
        except ValueError as exc:
            raise ControlError(
                400, "InvalidJson", f"The request body is not valid JSON: {exc}"
            ) from None
    if not isinstance(payload, dict):
        raise ControlError(400, "InvalidJson", "The request body must be a JSON object.")
    try:
        schema = schema_class() if isinstance(schema_class, type) else schema_class
        data: dict[str, Any] = schema.load(payload)
    except ValidationError as exc:
        raise _invalid("request body", exc) from None
    return data


def query(schema_class: type[Schema]) -> dict[str, Any]:
    """The query string, validated by ``schema_class`` (a list field takes the parameter
    repeated; any other parameter may be given once)."""
    schema = schema_class()
    raw: dict[str, Any] = {}
    repeated = []
    for name in request.args:
        values = request.args.getlist(name)
        field = schema.fields.get(name)
        if isinstance(field, fields.List):
            raw[name] = values
        elif len(values) > 1:
            repeated.append(name)
        else:
            raw[name] = values[0]
    if repeated:
        raise ControlError(
            400,
            "ValidationError",
            f"Invalid query parameter: {', '.join(repeated)} given more than once.",
            {name: ["Given more than once."] for name in repeated},
        )
    try:
        data: dict[str, Any] = schema.load(raw)
    except ValidationError as exc:
        raise _invalid("query parameter", exc) from None
    return data


class CanonicalIntegerConverter(IntegerConverter):
    """werkzeug's ``int`` without leading zeros: ``/tokens/01`` is no address of token 1 (the
    fuzzing found it deleting one), a 404 in the surface's format. Installed as the app's
    ``int`` (``gateway.app``), so every route's ``<int:...>`` reads ids one way."""

    regex = r"0|[1-9]\d*"


def row_id(name: str, column: QueryableAttribute[Any]) -> str:
    """A route's ``<int:name>`` part bounded to the ids ``column`` can hold: an id no row can
    have (2147483648 for an int4 column) matches no route and is a 404, not a database error."""
    least, most = row_id_range(column)
    return f"<int(min={least}, max={most}):{name}>"


def merchant_or_404(session: Session, seller_id: str) -> MerchantRecord:
    merchant = merchants.by_seller_id(session, seller_id)
    if merchant is None:
        raise ControlError(404, "MerchantNotFound", f"No merchant with seller id {seller_id!r}.")
    return merchant


# --- shared schemas ------------------------------------------------------------------------------


class NoBodySchema(Schema):
    """An action that takes no body: nothing, or ``{}``."""

    class Meta:
        unknown = RAISE


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"description": "Stable error code."})
    message = fields.String(
        required=True, allow_none=True, metadata={"description": "What is wrong, naming the field."}
    )
    field_messages = fields.Dict(
        data_key="fields", metadata={"description": "Each invalid field with its messages."}
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


class PageQuerySchema(Schema):
    """``limit`` and ``cursor`` of every list (``gateway.store.paging``)."""

    class Meta:
        unknown = RAISE

    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(1, MAX_LIMIT),
        metadata={"description": f"Items per page (default {DEFAULT_LIMIT}, most {MAX_LIMIT})."},
    )
    cursor = Text(max_length=512, metadata={"description": "The `next` of the previous page."})


def next_cursor() -> fields.String:
    """The ``next`` field of a page schema (``{"items": [...], "next": ...}``)."""
    return fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Cursor of the next page; null on the last one."},
    )


def paged(
    session_work: Callable[[Session], Page[T]],
    item_json: Callable[[Session, T], Mapping[str, Any]],
) -> dict[str, Any]:
    """Run a list query and render its page, in one read transaction; a bad cursor is a 400."""

    def work(session: Session) -> dict[str, Any]:
        try:
            page = session_work(session)
        except InvalidCursor as exc:
            raise ControlError(
                400,
                "ValidationError",
                f"Invalid query parameter: cursor: {exc}.",
                {"cursor": [str(exc)]},
            ) from None
        return {"items": [item_json(session, item) for item in page.items], "next": page.next}

    result: dict[str, Any] = runtime().db.run(work, write=False)
    return result


def jsonable(value: Any) -> Any:
    """Wire views with datetimes as ISO strings, None values left out."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return timestamp(value)
    return value
