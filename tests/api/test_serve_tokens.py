"""Tokens on a real `gateway serve`: the banner shows the admin token it generated, a server told
to require tokens refuses calls without one, and the clients that use the control API
(`gateway ipn-check`) pass it."""

from __future__ import annotations

import stat
import subprocess
import sys

import pytest
import requests

from gateway.tokens import ADMIN_TOKEN_FILE
from tests.support.servers import CONTROL, HOST

pytestmark = pytest.mark.e2e


def test_a_server_that_requires_tokens(own_server, receiver):
    server = own_server()
    server.env["GATEWAY_REQUIRE_TOKEN"] = "1"
    server.start()
    token_file = server.data_dir / ADMIN_TOKEN_FILE
    admin = token_file.read_text().strip()
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert f"admin token:             {admin}\n" in server.log()

    api = f"{server.url}{CONTROL}"
    refused = requests.post(f"{api}/merchants", json={}, timeout=10)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "TokenRequired"
    assert requests.get(f"{api}/merchants", timeout=10).status_code == 401
    assert requests.get(f"{api}/health", timeout=10).status_code == 200

    headers = {"Authorization": f"Bearer {admin}"}
    merchant = requests.post(f"{api}/merchants", json={}, headers=headers, timeout=10).json()
    listed = requests.get(f"{api}/merchants", headers=headers, timeout=10).json()["items"]
    assert [m["seller_id"] for m in listed] == [merchant["seller_id"]]

    # gateway ipn-check fetches the signing key with the admin token of the data dir.
    check = [sys.executable, "-m", "gateway", "ipn-check", receiver.url, "--simulator", server.url]
    without = subprocess.run(check, capture_output=True, text=True, timeout=120, check=False)
    assert without.returncode == 2 and "admin token" in without.stderr
    with_token = subprocess.run(
        [*check, "--token", admin], capture_output=True, text=True, timeout=120, check=False
    )
    assert "answered 401" not in with_token.stderr
    assert with_token.returncode in (0, 1), with_token.stderr  # the receiver's verdict
    assert receiver.received, "ipn-check posted nothing"


def test_the_default_loopback_server_needs_no_token(live_server):
    assert live_server.url.startswith(f"http://{HOST}:")
    answer = requests.get(f"{live_server.url}{CONTROL}/merchants", timeout=10)
    assert answer.status_code == 200 and "items" in answer.json()
