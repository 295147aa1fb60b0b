"""Tokens: required beyond loopback (or when told), the admin token reaches everything, a
merchant token one merchant only; without a valid token the answer is 401 and nothing changes."""

from __future__ import annotations

import stat

import pytest

from gateway.config import Settings, is_loopback
from gateway.ipn.envelope import CERTIFICATE_PATH
from gateway.runtime import Runtime
from gateway.store.models import ApiToken, Merchant
from gateway.tokens import ADMIN_TOKEN_FILE, digest, ensure_admin_token, read_admin_token

ADMIN = "gwa_" + "a" * 43


@pytest.fixture
def secured(runtime, control):
    """The app with tokens required and a configured admin token."""
    runtime.settings = runtime.settings.replace(require_token=True, admin_token=ADMIN)
    return control


def merchant_count(runtime):
    with runtime.db.session(write=False) as session:
        return session.query(Merchant).count()


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": ADMIN}, {"Authorization": "Basic x"}],
)
def test_without_a_valid_token_the_answer_is_401_json_and_nothing_changes(
    secured, runtime, headers
):
    before = merchant_count(runtime)
    answer = secured.post("/merchants", json={"store_name": "x"}, headers=headers, status=401)
    assert answer.json["error"]["code"] in ("TokenRequired", "InvalidToken")
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert merchant_count(runtime) == before


def test_the_admin_token_reaches_every_merchant(seeded, secured):
    admin = secured.with_token(ADMIN)
    listed = admin.get("/merchants", status=200).json["items"]
    assert {seeded.merchant.seller_id, seeded.other.seller_id} <= {m["seller_id"] for m in listed}
    admin.get(f"/merchants/{seeded.other.seller_id}/orders", status=200)
    admin.get("/ipn/signing-key", status=200)


def test_health_the_document_and_the_certificate_need_no_token(secured):
    secured.get("/health", status=200)
    secured.get("/openapi.json", status=200)
    assert secured.client.get(CERTIFICATE_PATH).status_code == 200
    assert secured.client.get("/sandbox/api/docs").status_code == 200


def test_a_merchant_token_reaches_its_merchant_only(seeded, secured):
    admin = secured.with_token(ADMIN)
    made = admin.post(
        f"/merchants/{seeded.merchant.seller_id}/tokens", json={"name": "ci"}, status=201
    ).json
    assert made["token"].startswith("gwm_") and made["prefix"] == made["token"][:12]
    own = secured.with_token(made["token"])
    orders = own.get(f"{seeded.base}/orders", status=200).json["items"]
    assert seeded.order_id in {o["amazon_order_reference_id"] for o in orders}
    own.post(f"{seeded.base}/clock/advance", json={"seconds": 1}, status=200)
    # Another merchant's objects answer exactly as a merchant that does not exist.
    other = f"/merchants/{seeded.other.seller_id}"
    for path in ("", "/orders", "/clock", f"/order-references/{seeded.other_order_id}"):
        answer = own.get(other + path, status=404)
        assert answer.json["error"] == {
            "code": "MerchantNotFound",
            "message": f"No merchant with seller id {seeded.other.seller_id!r}.",
        }
    own.post(f"{other}/clock/advance", json={"seconds": 1}, status=404)
    # Admin-only calls are refused; the merchant list shows the caller's own merchant only.
    own.post("/merchants", json={}, status=403)
    own.get("/ipn/signing-key", status=403)
    listed = own.get("/merchants", status=200).json["items"]
    assert [m["seller_id"] for m in listed] == [seeded.merchant.seller_id]


def test_tokens_are_listed_without_secrets_stored_hashed_and_revoked_at_once(
    seeded, secured, runtime
):
    admin = secured.with_token(ADMIN)
    tokens = f"/merchants/{seeded.merchant.seller_id}/tokens"
    made = admin.post(tokens, json={"name": "ci"}, status=201).json
    listed = admin.get(tokens, status=200).json
    assert listed["items"] == [{k: made[k] for k in ("id", "name", "prefix", "created_at")}]
    with runtime.db.session(write=False) as session:
        (row,) = session.query(ApiToken).all()
    assert row.digest == digest(made["token"]) and made["token"] not in (row.prefix, row.digest)
    own = secured.with_token(made["token"])
    own.get(tokens, status=200)
    own.call("DELETE", f"{tokens}/{made['id']}", status=204)
    own.get(f"/merchants/{seeded.merchant.seller_id}", status=401)
    admin.call("DELETE", f"{tokens}/{made['id']}", status=404)
    admin.call("DELETE", f"{tokens}/2147483648", status=404)


def test_on_loopback_no_token_acts_as_admin_but_a_token_sent_is_checked(control, seeded):
    control.get(f"/merchants/{seeded.other.seller_id}", status=200)
    control.get("/merchants", headers={"Authorization": "Bearer nope"}, status=401)
    made = control.post(f"/merchants/{seeded.merchant.seller_id}/tokens", json={}, status=201)
    control.with_token(made.json["token"]).get(f"/merchants/{seeded.other.seller_id}", status=404)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.0.2.10", False),
        ("example.test", False),
    ],
)
def test_tokens_are_required_unless_listening_on_loopback_only(host, loopback):
    assert is_loopback(host) is loopback
    assert Settings(host=host).token_required is not loopback
    assert Settings(host=host, require_token=True).token_required


def test_the_admin_token_is_generated_once_private_and_shown_in_the_banner(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    token = ensure_admin_token(data)
    assert token.startswith("gwa_") and len(token) == 47
    assert stat.S_IMODE((data / ADMIN_TOKEN_FILE).stat().st_mode) == 0o600
    assert ensure_admin_token(data) == token == read_admin_token(data)
    runtime = Runtime.from_settings(Settings(data_dir=data, seed_dir=""))
    assert runtime.admin_token == token
    configured = Runtime.from_settings(Settings(data_dir=data, seed_dir="", admin_token=ADMIN))
    assert configured.admin_token == ADMIN
    runtime.db.dispose()
    configured.db.dispose()
