"""run_ipn_check against a correct receiver, a permissive one, and nobody."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from clients.ipn import IpnVerifier
from clients.ipn_check import CASES, RsaEnvelopeSigner, format_report, run_ipn_check
from clients.notifications import Notification
from clients.receiver import IpnReceiver, ReceiverServer
from tests.clients.sns_signer import CERT_URL, NOW, SnsSigner


@pytest.fixture
def signer() -> SnsSigner:
    return SnsSigner()


def envelope_signer(signer: SnsSigner) -> RsaEnvelopeSigner:
    return RsaEnvelopeSigner(signer.key, CERT_URL)


@pytest.fixture
def strict_server(signer: SnsSigner) -> Iterator[ReceiverServer]:
    verifier = IpnVerifier(fetch_certificate=signer.fetch, now=lambda: NOW)
    with ReceiverServer(IpnReceiver(verifier)) as server:
        yield server


class AcceptEverything(IpnReceiver[Notification]):
    """A careless webhook: verifies nothing, answers 200."""

    def __call__(self, environ: Any, start_response: Any) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        environ["wsgi.input"].read(length)  # it reads what it is sent, and trusts it
        start_response("200 OK", [("Content-Length", "2")])
        return [b"OK"]


def test_correct_receiver_is_conformant(strict_server: ReceiverServer, signer: SnsSigner) -> None:
    results = run_ipn_check(strict_server.url, envelope_signer(signer), now=lambda: NOW)
    assert [r.case.name for r in results] == [c.name for c in CASES]
    assert all(r.passed for r in results), format_report(results)
    report = format_report(results)
    assert report.endswith("conformant")
    receiver = strict_server.receiver
    # v1, v2, the duplicate's first delivery, both out-of-order ones, the one after the large
    # body, and the slow one.
    assert len(receiver.notifications) == 7
    assert receiver.duplicates == 1
    reasons = {e.reason for e in receiver.rejections}
    assert {"bad_signature", "certificate_url_not_allowed", "topic_mismatch"} <= reasons
    assert {"malformed", "stale"} <= reasons


def test_receiver_without_age_check_only_warns(signer: SnsSigner) -> None:
    verifier = IpnVerifier(fetch_certificate=signer.fetch, now=lambda: NOW, max_age=None)
    with ReceiverServer(IpnReceiver(verifier)) as server:
        results = run_ipn_check(server.url, envelope_signer(signer), now=lambda: NOW)
    failed = [r.case.name for r in results if not r.passed]
    assert failed == ["stale"]
    report = format_report(results)
    assert "WARN  stale" in report
    assert report.endswith("conformant")


def test_permissive_receiver_fails(signer: SnsSigner) -> None:
    with ReceiverServer(AcceptEverything(IpnVerifier())) as server:
        results = run_ipn_check(server.url, envelope_signer(signer), now=lambda: NOW)
    failed = {r.case.name for r in results if not r.passed}
    # Everything a permissive endpoint should have refused fails, even the large body's case
    # whose second delivery it accepts.
    assert failed == {c.name for c in CASES if not c.accept}
    assert "required check(s) failed" in format_report(results)


def test_unreachable_endpoint(signer: SnsSigner) -> None:
    results = run_ipn_check("http://127.0.0.1:9/ipn", envelope_signer(signer), timeout=2)
    assert all(a.status is None for r in results for a in r.answers)
    assert [r.passed for r in results] == [not any(c.expect) for c in CASES]
