"""IPN signatures verify with an independent check: ``cryptography`` over the SNS string to sign,
with the certificate fetched from SigningCertURL (a real HTTP server running the app)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests
from cryptography.exceptions import InvalidSignature

from gateway.ipn.keys import ensure_signing_key
from tests.helpers import DATA
from tests.ipn.flows import every_type
from tests.support.servers import serving
from tests.support.sink import verify_sns

SNS_SAMPLE = DATA / "sns-sample"


def test_the_verifier_accepts_amazons_real_sample_and_rejects_a_changed_one():
    envelope = json.loads((SNS_SAMPLE / "notification.json").read_bytes())
    pem = (SNS_SAMPLE / "signing-cert.pem").read_bytes()
    verify_sns(envelope, pem)
    with pytest.raises(InvalidSignature):
        verify_sns({**envelope, "Timestamp": envelope["Timestamp"].replace("0", "1", 1)}, pem)


@pytest.fixture
def live_app(app, runtime) -> Iterator[str]:
    """The app on a real port; the runtime's public URL (SigningCertURL's base) points at it."""
    with serving(app) as url:
        runtime.settings = runtime.settings.replace(public_url=url)
        yield url


@pytest.mark.parametrize("version", ["1", "2"])
def test_every_notification_verifies_with_the_certificate_at_signing_cert_url(
    version, live_app, api, runtime, clock, receiver, configure, deliver
):
    configure(ipn_url=receiver.url, ipn_signature_version=version)
    every_type(api, runtime, clock)
    deliver()
    assert len(receiver.received) >= 5
    for received in receiver.received:
        envelope = json.loads(received.body)
        assert envelope["SignatureVersion"] == version
        assert envelope["SigningCertURL"] == f"{live_app}/sandbox/ipn/certificate.pem"
        pem = requests.get(envelope["SigningCertURL"], timeout=5).content
        verify_sns(envelope, pem)
        for name in ("Message", "MessageId", "Timestamp", "TopicArn", "Type"):
            changed = {**envelope, name: envelope[name] + " "}
            with pytest.raises(InvalidSignature):
                verify_sns(changed, pem)


def test_the_certificate_is_the_data_dirs_and_survives_a_restart(app, runtime):
    served = app.test_client().get("/sandbox/ipn/certificate.pem")
    assert served.status_code == 200
    assert served.mimetype == "application/x-pem-file"
    assert served.data == ensure_signing_key(runtime.settings.data_dir).certificate_pem
    # A restart (a new runtime, same data dir) loads the same key.
    runtime.initialize()
    assert ensure_signing_key(runtime.settings.data_dir).certificate_pem == served.data


def test_processes_starting_at_once_agree_on_one_key(tmp_path):
    folder = tmp_path / "fresh"
    script = (
        "import sys; from pathlib import Path; from gateway.ipn.keys import ensure_signing_key; "
        "sys.stdout.buffer.write(ensure_signing_key(Path(sys.argv[1])).certificate_pem)"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(folder)], stdout=subprocess.PIPE)
        for _ in range(4)
    ]
    certificates = {proc.communicate(timeout=60)[0] for proc in procs}
    assert all(proc.returncode == 0 for proc in procs)
    assert len(certificates) == 1
    assert [p.name for p in folder.iterdir()] == ["ipn-signing.pem"]  # no temp files left
