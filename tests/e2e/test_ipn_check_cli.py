"""``gateway ipn-check URL`` against two receivers written for the test: a correct one passes, one
that accepts everything fails, with the expected verdict per case and exit status. It runs from
another folder than the simulator's and signs with the simulator's key, fetched from the server
or read from its data dir; without a key it refuses (exit 2) and never makes one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from clients.ipn import IpnVerifier
from clients.notifications import Notification
from clients.receiver import IpnReceiver, ReceiverServer
from tests.support.servers import GatewayServer, free_port

pytestmark = pytest.mark.e2e


@pytest.fixture
def simulator(live_server: GatewayServer) -> GatewayServer:
    """The session's shared server: ipn-check only reads its key and certificate."""
    return live_server


class AcceptEverything(IpnReceiver[Notification]):
    """A careless webhook: reads the body, verifies nothing, answers 200."""

    def __call__(self, environ: Any, start_response: Any) -> Iterable[bytes]:
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Length", "2")])
        return [b"OK"]


def run_ipn_check(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``gateway ipn-check`` from ``cwd``, with no GATEWAY_* settings inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    return subprocess.run(
        [sys.executable, "-m", "gateway", "ipn-check", *args],
        capture_output=True, text=True, timeout=120, check=False, cwd=cwd, env=env,
    )  # fmt: skip


def ipn_check(
    simulator: GatewayServer, url: str, cwd: Path, *, from_data_dir: bool = False
) -> tuple[int, dict[str, Any]]:
    key_source = ["--data-dir", str(simulator.data_dir)] if from_data_dir else []
    result = run_ipn_check(url, "--json", "--simulator", simulator.url, *key_source, cwd=cwd)
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout)


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A folder that is not the simulator's, with no .gateway-data of its own."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("from_data_dir", [False, True], ids=["fetched", "data-dir"])
def test_a_correct_receiver_passes(
    simulator: GatewayServer, elsewhere: Path, from_data_dir: bool
) -> None:
    # Trusts the simulator's certificate host (over http, named explicitly), as a merchant's
    # receiver under test would.
    verifier = IpnVerifier(allowed_cert_hosts=[f"http://127.0.0.1:{simulator.port}"])
    with ReceiverServer(IpnReceiver(verifier)) as receiver:
        status, report = ipn_check(simulator, receiver.url, elsewhere, from_data_dir=from_data_dir)
    assert (status, report["conformant"], report["failed"]) == (0, True, [])
    verdicts = {case["case"]: case["passed"] for case in report["cases"]}
    assert verdicts and all(verdicts.values()), report


def test_a_receiver_that_accepts_everything_fails(
    simulator: GatewayServer, elsewhere: Path
) -> None:
    with ReceiverServer(AcceptEverything(IpnVerifier())) as receiver:
        status, report = ipn_check(simulator, receiver.url, elsewhere)
    assert status == 1 and report["conformant"] is False
    failed = set(report["failed"])
    assert {
        "tampered_message", "tampered_timestamp", "garbage_signature", "wrong_key",
        "foreign_certificate", "topic_mismatch", "not_json", "large_body",
    } == failed  # fmt: skip
    passed = {c["case"] for c in report["cases"] if c["passed"]}
    assert {"genuine_v1", "genuine_v2", "duplicate", "out_of_order", "slow_send"} <= passed


def assert_refused(done: subprocess.CompletedProcess[str], *words: str) -> None:
    lines = done.stderr.strip().splitlines()
    assert (done.returncode, len(lines)) == (2, 1), done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    for word in words:
        assert word in lines[0], lines[0]


def test_without_a_running_simulator_it_refuses(elsewhere: Path) -> None:
    done = run_ipn_check(
        "http://127.0.0.1:9/ipn", "--simulator", f"http://127.0.0.1:{free_port()}", cwd=elsewhere
    )
    assert_refused(done, "no simulator answered", "gateway serve", "--data-dir")
    assert list(elsewhere.iterdir()) == []  # no key made here


def test_a_data_dir_without_a_key_is_refused_not_filled(elsewhere: Path) -> None:
    empty = elsewhere / "data"
    empty.mkdir()
    done = run_ipn_check("http://127.0.0.1:9/ipn", "--data-dir", str(empty), cwd=elsewhere)
    assert_refused(done, "no IPN signing key", str(empty), "--simulator")
    assert list(empty.iterdir()) == []
