"""The certificate endpoint serves exactly ``SigningKey.certificate_pem``, read from the key file
without cryptography when the file holds it in that form, and through cryptography otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.app import create_app
from gateway.ipn.keys import KEY_FILE, certificate_pem_from_key_file, ensure_signing_key
from gateway.runtime import Runtime


def served(app: Any) -> bytes:
    answer = app.test_client().get("/sandbox/ipn/certificate.pem")
    assert answer.status_code == 200
    data: bytes = answer.data
    return data


def rewrapped(pem: bytes, width: int) -> bytes:
    key, cert = pem.split(b"-----BEGIN CERTIFICATE-----\n")
    body = cert.split(b"-----END CERTIFICATE-----")[0].replace(b"\n", b"")
    lines = b"".join(body[i : i + width] + b"\n" for i in range(0, len(body), width))
    return key + b"-----BEGIN CERTIFICATE-----\n" + lines + b"-----END CERTIFICATE-----\n"


@pytest.mark.parametrize("n", range(3))
def test_a_key_file_as_written_is_read_without_cryptography(tmp_path: Path, n: int) -> None:
    key = ensure_signing_key(tmp_path)  # a new key each time
    assert certificate_pem_from_key_file(tmp_path / KEY_FILE) == key.certificate_pem


def test_the_endpoint_answers_the_key_files_certificate(app: Any, runtime: Runtime) -> None:
    expected = ensure_signing_key(runtime.settings.data_dir).certificate_pem
    assert served(app) == expected
    assert served(app) == expected  # the second time from the process's copy


@pytest.mark.parametrize(
    "rewrite",
    [
        lambda pem: pem.replace(b"\n", b"\r\n"),  # CRLF line endings
        lambda pem: b"a comment before the key\n" + pem,
        lambda pem: pem + b"\n",  # a trailing blank line
        lambda pem: rewrapped(pem, 76),  # the certificate's base64 in longer lines
    ],
)
def test_another_layout_goes_through_cryptography(app: Any, runtime: Runtime, rewrite: Any) -> None:
    path = runtime.settings.data_dir / KEY_FILE
    expected = ensure_signing_key(runtime.settings.data_dir).certificate_pem
    path.write_bytes(rewrite(path.read_bytes()))
    assert certificate_pem_from_key_file(path) is None
    assert served(app) == expected


def test_a_missing_key_file_is_created_as_before(runtime: Runtime) -> None:
    path = runtime.settings.data_dir / KEY_FILE
    path.unlink()
    # A process that has not loaded a key (conftest's runtimes are handed one).
    fresh = Runtime(settings=runtime.settings, db=runtime.db, clock=runtime.clock)
    pem = served(create_app(runtime=fresh, initialize=False))
    assert pem == ensure_signing_key(runtime.settings.data_dir).certificate_pem
    assert path.exists()
