"""The OpenAPI document: valid, complete, and naming exactly the schemas the views validate with;
the API reference page and its vendored Swagger UI are served by the server itself."""

from __future__ import annotations

import ast
import inspect
import textwrap
from pathlib import Path

from openapi_spec_validator import validate

from gateway.api import openapi
from gateway.api.openapi import build_spec, control_rules, openapi_path
from gateway.api.sandbox import API_PREFIX

VENDOR = Path(openapi.__file__).resolve().parents[1] / "static" / "vendor" / "swagger-ui-dist"


def test_the_document_is_valid_openapi_3(control):
    answer = control.get("/openapi.json", status=200)
    validate(answer.json)
    assert answer.json["openapi"] == "3.0.3"
    assert answer.json["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_every_control_route_and_method_is_documented_with_a_summary(app):
    spec = build_spec(app)
    rules = control_rules(app)
    assert len(rules) >= 25
    for rule in rules:
        operations = spec["paths"][openapi_path(rule)]
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            operation = operations[method.lower()]
            assert operation["summary"], rule
            assert any(int(status) < 400 for status in operation["responses"]), rule


def _schema_name(node):
    """``X`` of ``X`` or of ``X(...)`` (a schema made with what it checks against)."""
    if isinstance(node, ast.Call):
        node = node.func
    return node.id if isinstance(node, ast.Name) else None


def _calls(function, name):
    """The class names passed to ``name(...)`` in the function's source."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    return {
        _schema_name(node.args[0])
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == name
        and node.args
        and _schema_name(node.args[0])
    }


def _documented(operation, where):
    if where == "body":
        content = operation.get("requestBody", {}).get("content", {})
        if len(content) > 1:
            # JSON or YAML (scenarios): read by its own parser (gateway.scenarios.loader), which
            # validates with the schema named here, not by body().
            return set()
        body = content.get("application/json", {})
        schema = body.get("schema")
        return {schema} if isinstance(schema, str) else set()
    return {p["schema"] for p in operation.get("parameters", []) if p.get("in") == "query"} - {None}


def test_each_view_validates_with_the_schemas_its_docstring_names(app):
    """body(X) and query(Y) in a view's code are exactly the schemas its docstring documents."""
    for rule in control_rules(app):
        view = app.view_functions[rule.endpoint]
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            operation = openapi.operation_of(view, rule, method)
            assert _calls(view, "body") == _documented(operation, "body"), rule
            assert _calls(view, "query") == _documented(operation, "query"), rule


def test_swagger_ui_is_served_from_the_server(control):
    page = control.client.get("/sandbox/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert f"{API_PREFIX}/openapi.json" in html and "https://" not in html
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        path = f"/sandbox/static/vendor/swagger-ui-dist/{asset}"
        assert path in html
        served = control.client.get(path)
        assert served.status_code == 200 and served.data == (VENDOR / asset).read_bytes()
        served.close()
    script = control.client.get("/sandbox/static/api-docs.js")
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.data
    script.close()


def test_the_vendored_build_names_its_package_version_and_license():
    version = (VENDOR / "VERSION").read_text()
    assert version.startswith("swagger-ui-dist 5.35.0\n") and "npm pack" in version
    assert "Apache License" in (VENDOR / "LICENSE").read_text()
