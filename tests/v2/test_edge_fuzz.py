"""Whatever arrives on an API v2 path, the answer is v2's JSON error or a success: never a 500,
never another format. Signed requests with hostile headers, bodies and paths, in process."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.clock import FrozenClock
from gateway.runtime import Runtime
from tests.helpers import MerchantCredentials
from tests.v2.helpers import issue_buyer, register_key, signed_request

TEXT = st.text(st.characters(codec="latin-1"), max_size=40)
#: What a header value can be on the wire (no line breaks).
HEADER_TEXT = st.text(st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=40)
PATHS = st.sampled_from(["/v2/buyers/{}", "/sandbox/v2/buyers/{}", "/live/v2/{}", "/v2/{}/x"])
HEADER_NAMES = st.sampled_from(
    ["x-amz-pay-date", "x-amz-pay-host", "x-amz-pay-region", "content-type", "authorization",
     "x-amz-pay-idempotency-key", "x-amz-pay-simulation-code"]
)  # fmt: skip


@pytest.fixture
def setup(app: Any, runtime: Runtime, merchant: MerchantCredentials) -> tuple[Any, str, str]:
    return (
        app.test_client(),
        register_key(runtime, merchant.seller_id),
        issue_buyer(runtime, merchant.seller_id),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    method=st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT"]),
    path=PATHS,
    segment=TEXT,
    body=st.one_of(st.binary(max_size=64), TEXT.map(str.encode), st.just(b'{"a": 1}')),
    overrides=st.dictionaries(HEADER_NAMES, HEADER_TEXT, max_size=2),
    sign=st.booleans(),
    override_after_signing=st.booleans(),
)
def test_every_answer_is_v2_json(
    setup: tuple[Any, str, str],
    clock: FrozenClock,
    method: str,
    path: str,
    segment: str,
    body: bytes,
    overrides: dict[str, str],
    sign: bool,
    override_after_signing: bool,
) -> None:
    client, key_id, token = setup
    from urllib.parse import quote

    full = path.format(quote(segment or token, safe=""))
    headers: dict[str, str] = {}
    if sign:
        before = {} if override_after_signing else overrides
        headers = signed_request(key_id, method, full, body, clock.now(), headers=before)
    if override_after_signing or not sign:
        headers.update(overrides)
    response = client.open(full, method=method, data=body, headers=headers)
    assert response.status_code < 500, response.data
    assert response.headers["Content-Type"] == "application/json"
    answer = json.loads(response.data)
    if response.status_code >= 300:
        assert set(answer) == {"reasonCode", "message"}, answer
