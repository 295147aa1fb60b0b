"""``gateway ipn-check URL`` against two receivers written for the test: a correct one passes, one
that accepts everything fails, with the expected verdict per case and exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from typing import Any

import pytest

from clients.ipn import IpnVerifier
from clients.receiver import IpnReceiver, ReceiverServer
from tests.support.servers import GatewayServer

pytestmark = pytest.mark.e2e


class AcceptEverything(IpnReceiver):
    """A careless webhook: reads the body, verifies nothing, answers 200."""

    def __call__(self, environ: Any, start_response: Any) -> Iterable[bytes]:
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Length", "2")])
        return [b"OK"]


def ipn_check(live_server: GatewayServer, url: str) -> tuple[int, dict[str, Any]]:
    result = subprocess.run(
        [
            sys.executable, "-m", "gateway", "ipn-check", url, "--json",
            "--data-dir", str(live_server.data_dir), "--public-url", live_server.url,
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout)


def test_a_correct_receiver_passes(live_server: GatewayServer) -> None:
    # Trusts the simulator's certificate host (over http, named explicitly), as a merchant's
    # receiver under test would.
    verifier = IpnVerifier(allowed_cert_hosts=[f"http://127.0.0.1:{live_server.port}"])
    with ReceiverServer(IpnReceiver(verifier)) as receiver:
        status, report = ipn_check(live_server, receiver.url)
    assert (status, report["conformant"], report["failed"]) == (0, True, [])
    verdicts = {case["case"]: case["passed"] for case in report["cases"]}
    assert verdicts and all(verdicts.values()), report


def test_a_receiver_that_accepts_everything_fails(live_server: GatewayServer) -> None:
    with ReceiverServer(AcceptEverything(IpnVerifier())) as receiver:
        status, report = ipn_check(live_server, receiver.url)
    assert status == 1 and report["conformant"] is False
    failed = set(report["failed"])
    assert {
        "tampered_message", "tampered_timestamp", "garbage_signature", "wrong_key",
        "foreign_certificate", "topic_mismatch", "not_json", "large_body",
    } == failed  # fmt: skip
    passed = {c["case"] for c in report["cases"] if c["passed"]}
    assert {"genuine_v1", "genuine_v2", "duplicate", "out_of_order", "slow_send"} <= passed
