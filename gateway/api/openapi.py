"""The OpenAPI 3 document of the sandbox control API, built from the app itself, and its pages.

``build_spec(app)`` walks ``app.url_map`` for every rule under ``/sandbox/api/v1`` and reads
each view's docstring: the first line is the operation's summary, the lines up to ``---`` its
description, and the YAML after ``---`` the OpenAPI operation (``parameters`` with ``in: query,
schema: SomeQuerySchema``, ``requestBody`` with ``content: application/json: schema:
SomeSchema``, ``responses``). Schemas are marshmallow classes named by class name, turned into
JSON Schema by apispec's MarshmallowPlugin: the same classes ``body()`` and ``query()``
validate with (``gateway.api.sandbox``). Any blueprint registered under the prefix is
documented without wiring of its own.

What the builder adds so docstrings stay short: path parameters from the rule (``<int(...)>``
becomes an integer with its bounds), the security requirement from the view's access
(``gateway.api.auth``), and the error answers every such operation can give (400 for a body, a
query or a value the domain refuses, 401/403 for tokens, 404 for a path with parameters, 415 for a body), each with the one
error schema. A response given with a description only, for a status of 400 or more, gets the
error schema too.

Served at ``/sandbox/api/v1/openapi.json``, and browsable at ``/sandbox/api/docs`` with the
vendored Swagger UI (``gateway/static/vendor/swagger-ui-dist``, see its VERSION file).
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, render_template
from flask.typing import ResponseReturnValue
from werkzeug.routing import IntegerConverter, Rule

from gateway.api.auth import MERCHANT_TOKENS, PUBLIC, access_of, public
from gateway.api.sandbox import API_PREFIX, ErrorSchema, control_api

bp = Blueprint("openapi", __name__)
control_api(bp)

TITLE = "Amazon Pay simulator: sandbox control API"
VERSION = "1"
DESCRIPTION = """\
The sandbox's control plane: merchants and their settings, buyer checkouts, each merchant's
clock, disputes, FPS tokens, notifications (IPNs) and their redelivery, lists of a merchant's
orders and payments.

**Tokens.** Send `Authorization: Bearer <token>`. The admin token (the server's banner, or
`GATEWAY_ADMIN_TOKEN`) reaches everything; a merchant token (`POST
/merchants/{seller_id}/tokens`) reaches one merchant, and another merchant's paths answer 404
as for a merchant that does not exist. Tokens are required when the server listens beyond
loopback (or with `GATEWAY_REQUIRE_TOKEN=1`); on loopback a call without one acts as the admin.

**Errors** are `{"error": {"code", "message", "fields"?}}`. **Lists** answer `{"items",
"next"}`: pass `next` back as `cursor` for the following page.
"""

_PATH_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_IGNORED_METHODS = {"HEAD", "OPTIONS"}


def openapi_path(rule: Rule) -> str:
    return _PATH_ARGUMENT.sub(r"{\1}", rule.rule)


def _path_parameters(rule: Rule) -> list[dict[str, Any]]:
    parameters = []
    for name in sorted(rule.arguments):
        converter = rule._converters[name]
        schema: dict[str, Any] = {"type": "string"}
        if isinstance(converter, IntegerConverter):
            schema = {"type": "integer"}
            if converter.min is not None:
                schema["minimum"] = converter.min
            if converter.max is not None:
                schema["maximum"] = converter.max
        parameters.append({"in": "path", "name": name, "required": True, "schema": schema})
    return parameters


def _docstring_parts(doc: str) -> tuple[str, str]:
    """The summary (first line) and description (up to ``---``) of a view's docstring."""
    text = doc.split("---", 1)[0].strip()
    summary, _, rest = text.partition("\n")
    return summary.strip(), " ".join(line.strip() for line in rest.strip().splitlines())


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ErrorSchema}}}


def operation_of(view: Any, rule: Rule, method: str) -> dict[str, Any]:
    """The OpenAPI operation of ``view`` for ``method`` on ``rule`` (before schemas resolve)."""
    from apispec import yaml_utils  # with YAML, only once the document is asked for

    doc = view.__doc__ or ""
    operation: dict[str, Any] = dict(yaml_utils.load_yaml_from_docstring(doc) or {})
    summary, description = _docstring_parts(doc)
    operation["summary"] = summary
    if description:
        operation["description"] = description
    operation["operationId"] = rule.endpoint.replace(".", "_")
    responses = operation.setdefault("responses", {})
    for status, response in list(responses.items()):
        if int(status) >= 400 and "content" not in response:
            responses[status] = _error_response(response.get("description", ""))
    standard: dict[int, str] = {}
    access = access_of(view)
    if access == PUBLIC:
        operation["security"] = []
    else:
        # A body, a query or a value the domain refuses (its own code, e.g. InvalidParameterValue).
        standard[400] = (
            "Invalid body, query or value: the message (and `fields`) say what is wrong."
        )
        standard[401] = "No token where one is required, or a token that is not valid."
        if "seller_id" not in rule.arguments and access != MERCHANT_TOKENS:
            standard[403] = "A merchant token: this call needs the admin token."
    if rule.arguments:
        standard[404] = "Not found: no such merchant (or another merchant's), or no such object."
    if "requestBody" in operation:
        standard[415] = "A body that is not sent as application/json."
    for status, text in standard.items():
        responses.setdefault(status, _error_response(text))
    for status, response in responses.items():
        response.setdefault("description", HTTPStatus(int(status)).phrase)
    return operation


def control_rules(app: Flask) -> list[Rule]:
    """Every rule of the control API, in path order."""
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.rule.startswith(API_PREFIX)),
        key=lambda rule: rule.rule,
    )


def build_spec(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3 document of every view under ``/sandbox/api/v1`` (see module docstring)."""
    # apispec and YAML are imported when the document is first built, not by every worker that
    # starts: no other answer needs them.
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin

    spec = APISpec(
        title=TITLE,
        version=VERSION,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": DESCRIPTION},
        servers=[{"url": "/"}],
        security=[{"bearerAuth": []}],
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    paths: dict[str, tuple[Rule, dict[str, Any]]] = {}
    for rule in control_rules(app):
        view = app.view_functions[rule.endpoint]
        path = openapi_path(rule)
        _, operations = paths.setdefault(path, (rule, {}))
        for method in sorted((rule.methods or set()) - _IGNORED_METHODS):
            operations[method.lower()] = operation_of(view, rule, method)
    for path, (rule, operations) in paths.items():
        spec.path(path=path, operations=operations, parameters=_path_parameters(rule))
    document: dict[str, Any] = _ecma_patterns(spec.to_dict())
    return document


def _ecma_patterns(node: Any) -> Any:
    """Patterns as ECMA-262 regular expressions, the dialect OpenAPI names: the schemas end
    theirs with Python's ``\\Z`` (``$`` would let a trailing newline through), which is ECMA's
    ``$`` without the multiline flag."""
    if isinstance(node, dict):
        return {
            key: value.replace("\\Z", "$")
            if key == "pattern" and isinstance(value, str)
            else _ecma_patterns(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_ecma_patterns(item) for item in node]
    return node


def spec_of(app: Flask) -> dict[str, Any]:
    """The app's document, built on first use and kept on the app (it does not change)."""
    spec: dict[str, Any] | None = app.extensions.get("gateway.openapi")
    if spec is None:
        spec = app.extensions["gateway.openapi"] = build_spec(app)
    return spec


@bp.get(f"{API_PREFIX}/openapi.json")
@public
def openapi_document() -> ResponseReturnValue:
    """This API's OpenAPI 3 document.
    ---
    tags: [service]
    responses:
      200:
        description: The document.
        content:
          application/json:
            schema:
              type: object
    """
    return jsonify(spec_of(current_app._get_current_object()))  # type: ignore[attr-defined]


@bp.get("/sandbox/api/docs")
def docs_page() -> ResponseReturnValue:
    """The API reference, browsable (Swagger UI, served from this server: no CDN)."""
    return render_template("api_docs.html", spec_url=f"{API_PREFIX}/openapi.json", title=TITLE)
