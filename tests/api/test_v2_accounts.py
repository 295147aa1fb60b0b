"""Control API: a merchant's API v2 keys (made with the private key shown once, uploaded,
listed, deleted) and buyer tokens; a key made here signs a Get Buyer in process."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from clients.amazon_pay_v2 import signing
from gateway.clock import FrozenClock
from gateway.config import Settings
from gateway.runtime import Runtime
from gateway.v2 import keys
from tests.api.conftest import Control
from tests.v2.helpers import V2Api, private_key_pem


def test_a_made_key_signs_and_its_private_key_is_shown_once(
    app: Any, control: Control, base: str, clock: FrozenClock
) -> None:
    made = control.post(f"{base}/v2-keys", json={"name": "shop"}, status=201).json
    assert made["public_key_id"].startswith("SANDBOX-A") and len(made["public_key_id"]) == 32
    assert made["environment"] == "sandbox" and made["name"] == "shop"
    assert "BEGIN PRIVATE KEY" in made["private_key_pem"]
    listed = control.get(f"{base}/v2-keys", status=200).json["items"]
    assert [k["public_key_id"] for k in listed] == [made["public_key_id"]]
    assert "private_key_pem" not in listed[0]
    token = control.post(
        f"{base}/v2-buyer-tokens",
        json={"buyer": {"name": "Ann", "email": "ann@example.com"}},
        status=201,
    ).json
    assert token["buyer"]["name"] == "Ann" and token["buyer"]["countryCode"] == "US"
    v2 = V2Api(app.test_client(), made["public_key_id"], clock, pem=made["private_key_pem"])
    answer = v2.call("GET", f"buyers/{token['buyer_token']}")
    assert answer.status == 200 and answer.body == token["buyer"]
    control.call("DELETE", f"{base}/v2-keys/{made['public_key_id']}", status=204)
    assert v2.call("GET", f"buyers/{token['buyer_token']}").reason == "InvalidAuthentication"
    control.call("DELETE", f"{base}/v2-keys/{made['public_key_id']}", status=404)


def test_upload_a_public_key(app: Any, control: Control, base: str, clock: FrozenClock) -> None:
    public = signing.public_key_pem(private_key_pem())
    made = control.post(
        f"{base}/v2-keys", json={"public_key_pem": public, "environment": "any"}, status=201
    ).json
    assert "private_key_pem" not in made and made["environment"] is None
    assert not made["public_key_id"].startswith(("SANDBOX", "LIVE"))
    answer = V2Api(app.test_client(), made["public_key_id"], clock, base="/live/v2").call(
        "GET", "buyers/nobody"
    )
    assert answer.reason == "ResourceNotFound"  # signed, verified, live: the token is unknown
    live = control.post(f"{base}/v2-keys", json={"environment": "live"}, status=201).json
    assert live["public_key_id"].startswith("LIVE-A")


def test_bad_uploads(control: Control, base: str) -> None:
    for pem in ("/etc/passwd", "-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----"):
        error = control.post(f"{base}/v2-keys", json={"public_key_pem": pem}, status=400).json
        assert error["error"]["code"] == "InvalidPublicKey"
    private = control.post(
        f"{base}/v2-keys", json={"public_key_pem": private_key_pem()}, status=400
    )
    assert private.json["error"]["code"] == "InvalidPublicKey"
    control.post(f"{base}/v2-keys", json={"environment": "moon"}, status=400)


def test_seed_writes_the_private_key_into_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path}/s.db")
    runtime = Runtime.from_settings(settings)
    try:
        assert runtime.initialize()
        key_id = "SANDBOX-ASANDBOXSELLERV2KEY00001"
        path = keys.seeded_key_file(settings.data_dir, key_id)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
        pem = path.read_text()
        found = runtime.db.run(lambda s: keys.lookup(s, key_id), write=False)
        assert found is not None and found.public_key_pem == signing.public_key_pem(pem)
    finally:
        runtime.journal.dispose()
        runtime.db.dispose()
