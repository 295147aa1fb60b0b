"""The HTTPS listener (issue 15, item 6): the same APIs over TLS beside HTTP, from one server.

Through real clients trusting the certificate the server made in its data dir, as a shop would:
the official amazon_pay SDK (``requests`` with ``REQUESTS_CA_BUNDLE``), FPS over ``requests``,
and ``ssl`` itself for what the certificate names. Then the certificate's life (made once, kept
private, made anew when expired, or the user's own) and the start-up errors of its settings.
"""

from __future__ import annotations

import socket
import ssl
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509

from clients import sigv2
from gateway import tls
from gateway.config import ConfigError, Settings
from tests.core.test_startup_errors import assert_one_line_failure, run_gateway
from tests.support.servers import HOST, GatewayServer, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.sdk]

PATH = "/OffAmazonPayments_Sandbox/2013-01-01"


# --- through real clients ---------------------------------------------------------------------


def test_the_official_sdk_over_https(https_server: GatewayServer, monkeypatch) -> None:
    # requests (under amazon_pay) trusts the certificate through REQUESTS_CA_BUNDLE.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(https_server.tls_cert))
    merchant = https_server.new_merchant(store_name="tlsstore")
    order_id = https_server.new_order(merchant["seller_id"])
    sdk = https_server.sdk(merchant)
    sdk._mws_endpoint = f"{https_server.https_url}{PATH}"
    answer = sdk.set_order_reference_details(
        amazon_order_reference_id=order_id, order_total="12.00"
    )
    assert answer.success, answer.to_json()
    confirmed = sdk.confirm_order_reference(amazon_order_reference_id=order_id)
    assert confirmed.success, confirmed.to_json()
    # The same order over plain HTTP: one server, one database, two listeners.
    sdk._mws_endpoint = https_server.endpoint
    details = sdk.get_order_reference_details(amazon_order_reference_id=order_id).to_dict()
    result = details["GetOrderReferenceDetailsResponse"]["GetOrderReferenceDetailsResult"]
    assert result["OrderReferenceDetails"]["OrderReferenceStatus"]["State"] == "Open"


def test_fps_over_https(https_server: GatewayServer) -> None:
    merchant = https_server.new_merchant(store_name="tlsstore")
    params = sigv2.signed_params(
        {"Action": "GetTokens", "Version": "2010-08-28"},
        access_key=merchant["access_key"],
        secret=merchant["secret_key"],
        method="GET",
        host="fps.sandbox.amazonaws.com",  # as a client routed here by a hosts file signs it
        path="/",
    )
    response = requests.get(
        https_server.https_url + "/", params=params, verify=str(https_server.tls_cert), timeout=30
    )
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "text/xml"


def test_the_sandbox_api_is_served_over_https_too(https_server: GatewayServer) -> None:
    url = f"{https_server.https_url}/sandbox/api/v1/health"
    assert requests.get(url, verify=str(https_server.tls_cert), timeout=30).json()["status"] == "ok"


def test_an_untrusted_client_refuses_the_certificate(https_server: GatewayServer) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{https_server.https_url}/sandbox/api/v1/health", timeout=30)


@pytest.mark.parametrize(
    "name", ["localhost", "mws.amazonservices.com", "mws-eu.amazonservices.com",
             "mws.amazonservices.jp", "fps.sandbox.amazonaws.com", "fps.amazonaws.com",
             "pay-api.amazon.com"],
)  # fmt: skip
def test_the_certificate_passes_a_clients_check_for_each_name(
    https_server: GatewayServer, name: str
) -> None:
    # What a client routed by a hosts-file entry checks: the name it asked for, in the
    # certificate it trusts (the TCP connection goes to the listener whatever the name).
    context = ssl.create_default_context(cafile=str(https_server.tls_cert))
    assert https_server.https_port is not None
    with (
        socket.create_connection((HOST, https_server.https_port), timeout=30) as raw,
        context.wrap_socket(raw, server_hostname=name) as wrapped,
    ):
        assert wrapped.version() in ("TLSv1.2", "TLSv1.3")


def test_a_name_the_certificate_does_not_hold_is_refused(https_server: GatewayServer) -> None:
    context = ssl.create_default_context(cafile=str(https_server.tls_cert))
    assert https_server.https_port is not None
    with (
        socket.create_connection((HOST, https_server.https_port), timeout=30) as raw,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        context.wrap_socket(raw, server_hostname="shop.example.com")


def test_plain_http_on_the_https_port_is_told_where_to_go_and_serving_goes_on(
    https_server: GatewayServer,
) -> None:
    assert https_server.https_port is not None
    plain = f"http://{HOST}:{https_server.https_port}/OffAmazonPayments_Sandbox/2013-01-01"
    answer = requests.post(plain, data={"Action": "GetServiceStatus"}, timeout=30)
    assert (answer.status_code, answer.headers["Connection"]) == (400, "close")
    assert answer.text == (
        "This is the HTTPS port of the Amazon Pay simulator: send HTTPS here, "
        f"or plain HTTP to port {https_server.port}.\n"
    )
    url = f"{https_server.https_url}/sandbox/api/v1/health"
    assert requests.get(url, verify=str(https_server.tls_cert), timeout=30).ok


def test_the_banner_shows_both_addresses_and_how_to_trust(https_server: GatewayServer) -> None:
    log = https_server.log()
    assert f"http://{HOST}:{https_server.port}/OffAmazonPayments_Sandbox/2013-01-01" in log
    assert f"HTTPS, the same APIs:    https://{HOST}:{https_server.https_port}" in log
    cert = https_server.tls_cert.resolve()
    assert f"HTTPS certificate:       {cert} (made now, self-signed)" in log
    assert f"REQUESTS_CA_BUNDLE={cert}" in log and f"NODE_EXTRA_CA_CERTS={cert}" in log


# --- the certificate's life -------------------------------------------------------------------


def _settings(data_dir: Path, **changes: Any) -> Settings:
    data_dir.mkdir(parents=True, exist_ok=True)
    return Settings(data_dir=data_dir, **changes)


def test_the_self_signed_pair_is_made_once_and_the_key_kept_private(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data")
    files, made = tls.ensure_tls_files(settings)
    assert made and files.self_signed
    assert stat.S_IMODE(files.key.stat().st_mode) == 0o600
    assert stat.S_IMODE(files.cert.stat().st_mode) == 0o644
    pem = files.cert.read_bytes()
    again, made_again = tls.ensure_tls_files(settings)
    assert (again, made_again) == (files, False)
    assert files.cert.read_bytes() == pem


def test_the_certificate_names_localhost_the_loopback_addresses_and_amazons_hosts(
    tmp_path: Path,
) -> None:
    files, _ = tls.ensure_tls_files(_settings(tmp_path / "data"))
    cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(names.get_values_for_type(x509.DNSName)) == {
        "localhost", "mws.amazonservices.com", "mws-eu.amazonservices.com",
        "mws.amazonservices.jp", "fps.sandbox.amazonaws.com", "fps.amazonaws.com",
        "pay-api.amazon.com", "pay-api.amazon.eu", "pay-api.amazon.jp",
    }  # fmt: skip
    assert {str(a) for a in names.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == tls.VALIDITY


def test_an_expired_certificate_is_made_anew(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data")
    files = tls.tls_files(settings)
    key_pem, cert_pem = tls._self_signed_pair(datetime.now(UTC) - tls.VALIDITY - timedelta(days=2))
    files.key.write_bytes(key_pem)
    files.cert.write_bytes(cert_pem)
    _, made = tls.ensure_tls_files(settings)
    assert made
    cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    assert cert.not_valid_after_utc > datetime.now(UTC)


def test_a_key_that_is_not_the_certificates_is_made_anew(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data")
    files, _ = tls.ensure_tls_files(settings)
    files.key.write_bytes(tls._self_signed_pair(datetime.now(UTC))[0])  # another key
    _, made = tls.ensure_tls_files(settings)
    assert made
    tls.server_context(files)  # a pair again


def test_the_users_own_certificate(tmp_path: Path) -> None:
    own = tmp_path / "own"
    made = tls.ensure_tls_files(_settings(own))[0]
    combined = tmp_path / "combined.pem"
    combined.write_bytes(made.cert.read_bytes() + made.key.read_bytes())
    data = tmp_path / "data"
    files, created = tls.ensure_tls_files(_settings(data, tls_cert=str(combined)))
    assert (files.cert, files.key, files.self_signed, created) == (combined, combined, False, False)
    assert not (data / tls.CERT_FILE).exists()
    separate = _settings(data, tls_cert=str(made.cert), tls_key=str(made.key))
    assert tls.ensure_tls_files(separate)[0].key == made.key


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"tls_cert": "missing.pem"}, ["no TLS file", "missing.pem", "--tls-cert"]),
        ({"tls_key": "key.pem"}, ["--tls-key", "without --tls-cert"]),
        ({"tls_cert": "not-pem.pem"}, ["cannot serve HTTPS", "not-pem.pem", "--tls-key"]),
    ],
)
def test_settings_that_cannot_serve_https(tmp_path: Path, monkeypatch, changes, words) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "not-pem.pem").write_text("hello\n")
    with pytest.raises(ConfigError) as refused:
        tls.ensure_tls_files(_settings(tmp_path / "data", **changes))
    for word in words:
        assert word in str(refused.value)


def test_a_certificate_with_another_key_is_refused(tmp_path: Path) -> None:
    first = tls.ensure_tls_files(_settings(tmp_path / "one"))[0]
    second = tls.ensure_tls_files(_settings(tmp_path / "two"))[0]
    mixed = _settings(tmp_path / "data", tls_cert=str(first.cert), tls_key=str(second.key))
    with pytest.raises(ConfigError, match="cannot serve HTTPS"):
        tls.ensure_tls_files(mixed)


# --- start-up errors through the console script -----------------------------------------------


def _serve(tmp_path: Path, *args: str) -> list[str]:
    return ["serve", "--data-dir", str(tmp_path / "data"), "--no-scheduler", *args]


def test_a_busy_https_port_fails_before_the_banner(tmp_path: Path) -> None:
    with socket.create_server((HOST, 0)) as busy:
        port = busy.getsockname()[1]
        done = run_gateway(
            *_serve(tmp_path, "--port", str(free_port()), "--https-port", str(port)), cwd=tmp_path
        )
    assert_one_line_failure(done, f"HTTPS port {HOST}:{port} is already in use", "--https-port")


def test_the_same_port_for_http_and_https_is_refused(tmp_path: Path) -> None:
    port = str(free_port())
    done = run_gateway(*_serve(tmp_path, "--port", port, "--https-port", port), cwd=tmp_path)
    assert_one_line_failure(done, "--https-port", "is the HTTP port too")


def test_a_bad_certificate_fails_before_the_banner(tmp_path: Path) -> None:
    (tmp_path / "bad.pem").write_text("not a certificate\n")
    args = ["--port", str(free_port()), "--https-port", str(free_port())]
    done = run_gateway(*_serve(tmp_path, *args, "--tls-cert", "bad.pem"), cwd=tmp_path)
    assert_one_line_failure(done, "cannot serve HTTPS", "bad.pem", "--tls-cert")


def test_the_help_names_the_https_options() -> None:
    from click.testing import CliRunner

    from gateway.cli import cli

    text = CliRunner().invoke(cli, ["serve", "--help"], terminal_width=200).output
    for option in ("--https-port", "--tls-cert", "--tls-key"):
        assert option in text


def test_the_https_settings_come_from_the_environment_too() -> None:
    from gateway.config import load_settings

    env = {"GATEWAY_HTTPS_PORT": "0", "GATEWAY_TLS_CERT": "c.pem", "GATEWAY_TLS_KEY": "k.pem"}
    settings = load_settings(environ=env)
    assert (settings.https_port, settings.tls_cert, settings.tls_key) == (0, "c.pem", "k.pem")
    assert settings.https_url == ""
