"""Control-API fixtures: a client that checks every answer against the OpenAPI document, and a
merchant holding one of each object (orders, payments, a dispute, notifications, an FPS token)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.exceptions import HTTPException

from gateway.api.openapi import openapi_path, spec_of
from gateway.app import create_app
from gateway.config import Settings
from tests.helpers import MerchantCredentials, SignedApi, new_merchant

API = "/sandbox/api/v1"
CHECKS = [response_schema_conformance, status_code_conformance, content_type_conformance]


@dataclass
class Answer:
    status: int
    json: Any
    headers: Any


class Control:
    """Control-API calls through Flask's test client. Every answer is checked against the
    app's own OpenAPI document (documented status, content type and schema), so each test here
    also tests the document."""

    def __init__(self, app: Any, schema: Any, token: str | None = None) -> None:
        self.app, self.client, self.schema, self.token = app, app.test_client(), schema, token
        self.adapter = app.url_map.bind("localhost")

    def with_token(self, token: str | None) -> Control:
        return Control(self.app, self.schema, token)

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        query: Any = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        **options: Any,
    ) -> Answer:
        sent = dict(headers or {})
        if self.token is not None:
            sent.setdefault("Authorization", f"Bearer {self.token}")
        url = path if path.startswith("/sandbox") else API + path
        response = self.client.open(
            url, method=method, json=json, query_string=query, headers=sent, **options
        )
        self._conforms(method, url, response)
        answer = Answer(response.status_code, response.get_json(silent=True), response.headers)
        if status is not None:
            assert answer.status == status, (answer.status, answer.json)
        return answer

    def _conforms(self, method: str, url: str, response: Any) -> None:
        try:
            rule, arguments = self.adapter.match(url, method=method, return_rule=True)
        except HTTPException:
            return  # no such route or method: nothing documented to conform to
        operation = self.schema[openapi_path(rule)][method.upper()]
        case = operation.Case(path_parameters={k: str(v) for k, v in arguments.items()})
        case.validate_response(response, checks=CHECKS)

    def get(self, path: str, **kw: Any) -> Answer:
        return self.call("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Answer:
        return self.call("POST", path, **kw)


@pytest.fixture(scope="session")
def openapi_schema(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The document, loaded by schemathesis once per session: it depends on the code only."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("openapi"), seed_dir="")
    app = create_app(settings=settings)
    app.extensions["gateway"].db.dispose()
    return schemathesis.openapi.from_dict(spec_of(app))


@pytest.fixture
def control(app: Any, openapi_schema: Any) -> Control:
    return Control(app, openapi_schema)


@pytest.fixture
def base(merchant: MerchantCredentials) -> str:
    """The path of a merchant with no objects (tests that need none are quicker)."""
    return f"/merchants/{merchant.seller_id}"


@dataclass
class Seeded:
    """One merchant with one of each object, and a second merchant with an order of its own."""

    merchant: MerchantCredentials
    other: MerchantCredentials
    order_id: str
    authorization_id: str
    capture_id: str
    refund_id: str
    disputed_capture_id: str
    dispute_id: str
    fps_token_id: str
    notification_id: int
    other_order_id: str

    @property
    def base(self) -> str:
        return f"/merchants/{self.merchant.seller_id}"


def seed_objects(
    api: SignedApi, control: Control, make_merchant: Callable[[], MerchantCredentials]
) -> Seeded:
    seller = api.merchant.seller_id
    capture_id = api.completed_capture("100.00")
    order_id = capture_id[:19]
    refund = api.refund(capture_id, "10.00", "refund-1")
    refund_id = refund.find("RefundResult/RefundDetails/AmazonRefundId")
    assert refund_id
    authorization_id = control.get(
        f"/merchants/{seller}/authorizations", query={"amazon_order_reference_id": order_id}
    ).json["items"][0]["amazon_id"]
    disputed = api.completed_capture("50.00")
    dispute = control.post(
        f"/merchants/{seller}/disputes",
        json={"type": "chargeback", "amazon_capture_id": disputed},
        status=201,
    ).json
    token = control.post(
        f"/merchants/{seller}/fps/tokens", json={"token_type": "MultiUse"}, status=201
    ).json
    notification = control.get(f"/merchants/{seller}/notifications").json["items"][0]
    other = make_merchant()
    other_order = control.post(
        f"/merchants/{other.seller_id}/order-references", json={}, status=201
    ).json
    return Seeded(
        merchant=api.merchant,
        other=other,
        order_id=order_id,
        authorization_id=authorization_id,
        capture_id=capture_id,
        refund_id=refund_id,
        disputed_capture_id=disputed,
        dispute_id=dispute["dispute_id"],
        fps_token_id=token["TokenId"],
        notification_id=notification["id"],
        other_order_id=other_order["amazon_order_reference_id"],
    )


@pytest.fixture
def seeded(api: SignedApi, control: Control, runtime: Any) -> Seeded:
    return seed_objects(api, control, lambda: new_merchant(runtime, store_name="other"))
